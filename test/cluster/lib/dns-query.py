#!/usr/bin/env python3
"""dns-query.py SERVER NAME [TYPE]: one DNS query over UDP (A by default, or SRV); prints each answer
(an address, or "priority weight port target") and exits 1 when there is none. Used by up.sh and
verify.sh to check cluster DNS from the host through the kube-dns Service IP (kube-proxy's DNAT)."""
import random, socket, struct, sys

def name_bytes(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"

def read_name(msg, i):
    labels = []
    while True:
        n = msg[i]
        if n & 0xC0 == 0xC0:  # compression pointer
            labels.append(read_name(msg, ((n & 0x3F) << 8) | msg[i + 1])[0])
            return ".".join(labels), i + 2
        i += 1
        if n == 0:
            return ".".join(labels), i
        labels.append(msg[i:i + n].decode()); i += n

def main():
    server, name = sys.argv[1], sys.argv[2]
    qtype = {"A": 1, "SRV": 33}[sys.argv[3] if len(sys.argv) > 3 else "A"]
    qid = random.randrange(65536)
    query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name_bytes(name) + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(query, (server, 53))
    msg = s.recv(4096)
    rid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    if rid != qid:
        sys.exit("dns-query: reply id mismatch")
    rcode = flags & 0xF
    i = 12
    for _ in range(qd):
        i = read_name(msg, i)[1] + 4
    found = 0
    for _ in range(an):
        i = read_name(msg, i)[1]
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[i:i + 10]); i += 10
        rdata = msg[i:i + rdlen]
        if rtype == 1 and qtype == 1:
            print(socket.inet_ntoa(rdata)); found += 1
        elif rtype == 33 and qtype == 33:
            prio, weight, port = struct.unpack(">HHH", rdata[:6])
            print(prio, weight, port, read_name(msg, i + 6)[0]); found += 1
        i += rdlen
    if not found:
        sys.exit(f"dns-query: no answer for {name} (rcode {rcode})")

main()
