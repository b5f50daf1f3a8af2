// CoreDNS for ship's test cluster: the upstream server (coremain) with only the plugins the
// cluster's Corefile uses (see ../coredns.yaml), instead of upstream's every plugin (cloud DNS
// providers, etcd, grpc...), which would triple the cold build on these 2-core machines.
// Built by ../lib/build.sh coredns against github.com/coredns/coredns at COREDNS_VERSION.
package main

import (
	// the DNS server type and the plugins, registered by their init functions
	_ "github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"

	"github.com/coredns/coredns/coremain"
)

func main() {
	coremain.Run()
}
