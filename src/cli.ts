#!/usr/bin/env node
// The command line: parses arguments, lazily loads the command it runs, and turns every
// error into a message, a hint and an exit code in one place. Nothing below this file calls
// process.exit, reads process.cwd() or writes to the console directly.
//
// Built, this file is dist/cli.js and holds only the argument parsing (so --help and --version
// stay quick); the commands are dist/ship.cjs (src/modules.ts), loaded on first use through V8's
// code cache (code-cache.ts).

import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { RawFlags } from './core/options.js';
import { ExitCode } from './errors.js';
import { formatInternalError, formatShipError } from './error-report.js';
import { loadWithCodeCache, type LoadedBundle } from './code-cache.js';
import { cacheDirectory } from './core/cache-dir.js';
import type * as Modules from './modules.js';

const require = createRequire(import.meta.url);
const { version } = require('../package.json') as { version: string };

import type { CommandIo as Io } from './commands/io.js';

/** The hash of dist/ship.cjs, set by scripts/bundle.mjs; undefined when this file runs from source. */
declare const __SHIP_BUNDLE_HASH__: string | undefined;

let bundle: LoadedBundle<typeof Modules> | undefined;
let loading: Promise<typeof Modules> | undefined;

/** ship's commands (the first call loads them; `purpose` names the command, for the code cache). */
function ship(purpose: string): Promise<typeof Modules> {
  loading ??= (async () => {
    if (typeof __SHIP_BUNDLE_HASH__ === 'undefined') return import('./modules.js');
    let home: string | undefined;
    try {
      home = homedir();
    } catch {
      home = undefined; // no home directory: run without a cache
    }
    bundle = loadWithCodeCache<typeof Modules>({
      file: fileURLToPath(new URL('./ship.cjs', import.meta.url)),
      key: __SHIP_BUNDLE_HASH__,
      cacheDir: cacheDirectory(process.env, home),
      purpose,
      ascii: true, // scripts/bundle.mjs checks
      seedDir: fileURLToPath(new URL('.', import.meta.url)), // dist/: the build's seed cache
    });
    return bundle.exports;
  })();
  return loading;
}

type Runner = (io: Io) => Promise<number | void>;

/** Flags shared by every command that talks to a cluster. */
function clusterFlags(cmd: Command): Command {
  return cmd
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('-n, --namespace <ns>', 'namespace (default: the manifest\'s, then the context\'s, then "default")')
    .option('--json', 'newline-delimited JSON on stdout; human output on stderr');
}

/** Flags of the commands that build and deploy (ship, ship dev, ship render). */
function deployFlags(cmd: Command): Command {
  return clusterFlags(cmd)
    .addOption(new Option('--builder <name>', 'how to build: gradle, maven or none (the Dockerfile builds everything)').choices(['gradle', 'maven', 'none']))
    .option('--skip-tests', 'skip the build\'s tests (-x test / -DskipTests)')
    .option('--dockerfile <path>', 'Dockerfile to use (default: the project\'s, else one generated in memory)')
    .option('--tag <tag>', 'image tag to use instead of the one derived from the sources')
    .option('--manifest <path>', 'manifest file or directory (repeatable; default: k8s/, kubernetes/, deploy/ or *.yaml in the project; a kustomization directory is rendered)', collect)
    .option('--kustomize <dir>', 'render this kustomization (base or overlay) with kustomize or kubectl kustomize and deploy the result')
    .option('--helm <chart>', 'render this local Helm chart with helm template (release = the app name) and deploy the result')
    .option('-f, --values <file>', 'with --helm: a values file (repeatable, in order)', collect)
    .option('--set <key=value>', 'with --helm: a value (repeatable, in order)', collect)
    .option('--load <how>', 'how the image reaches the cluster: kind[:NAME], k3d[:NAME], minikube[:PROFILE], containerd[:SOCKET[,SOCKET...]], shared, none')
    .option('--allow-context <name>', 'accept this non-local context (needs --registry) (repeatable)', collect)
    .option('--registry <host[:port][/prefix]>', 'push the image to this registry and deploy the pushed name')
    .option('--replicas <n>', 'N pods (a Pod manifest becomes <name>-1..N) or a Deployment\'s replica count')
    .option('--timeout <duration>', 'how long to wait for Ready (e.g. 90s, 5m)', '5m')
    .option('--port <local[:remote]>', 'local port to forward (0 = any free port) and the container port', '8080')
    .option('--smoke-path <path>', 'path of the HTTP smoke check through the forward', '/')
    .option('--no-smoke', 'skip the HTTP smoke check')
    .option('--detach', 'exit after the smoke check instead of keeping the forward open (default in CI)')
    .option('--ci', 'CI mode: plain output, exit after the smoke check (default when CI=true)')
    .option('--explain', 'after each step, print the commands a person would have typed for it (docker, kubectl, curl…)');
}

/** Which flags the user typed (they override ship.yaml); commander's defaults do not. */
function typedByUser(cmd: Command): (key: keyof RawFlags) => boolean {
  return (key) => cmd.getOptionValueSource(key) === 'cli';
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(run: (r: Runner) => void): Command {
  const program = new Command('ship')
    .description('From Spring Boot source to a Ready pod on a local Kubernetes cluster, port 8080 forwarded, in one command.')
    .version(version, '-v, --version')
    .showHelpAfterError('(run ship --help for usage)')
    .enablePositionalOptions();

  deployFlags(program.argument('[dir]', 'the project directory', '.'))
    .option('--debug', 'start the JVM with a JDWP agent (suspend=n) and forward it to 127.0.0.1:5005')
    .option('--debug-port <port>', 'the JDWP port in the pod and on 127.0.0.1 (implies --debug; default 5005)')
    .action((dir: string, flags: RawFlags & { debug?: boolean; debugPort?: string }, cmd: Command) =>
    run(async (io) => {
      const { runUpCommand } = await (await ship('up')).up();
      return runUpCommand(dir, flags, io, typedByUser(cmd));
    }),
  );

  deployFlags(program.command('dev').description('deploy, then update the running app on every source change (live update, else rebuild and redeploy); the forward stays on the same port').argument('[dir]', 'the project directory', '.'))
    .option('--cleanup', 'on Ctrl-C, also delete what ship deployed')
    .option('--no-live', 'rebuild the image and redeploy on every save instead of updating the running JVM')
    .option('--debug', 'start the JVM with a JDWP agent (suspend=n) and forward it to 127.0.0.1:5005')
    .option('--debug-port <port>', 'the JDWP port in the pod and on 127.0.0.1 (implies --debug; default 5005)')
    .action((dir: string, flags: import('./commands/dev.js').DevFlags, cmd: Command) =>
      run(async (io) => {
        const { runDevCommand } = await (await ship('dev')).dev();
        return runDevCommand(dir, flags, io, typedByUser(cmd));
      }),
    );

  deployFlags(program.command('render').description('print the exact YAML ship would apply (no cluster needed; --tag renders without Docker)').argument('[dir]', 'the project directory', '.')).action(
    (dir: string, flags: RawFlags, cmd: Command) =>
      run(async (io) => {
        const { runRenderCommand } = await (await ship('render')).render();
        return runRenderCommand(dir, flags, io, typedByUser(cmd));
      }),
  );
  clusterFlags(program.command('delete').alias('down').description('delete everything ship deployed for this app (found by its labels) and wait until it is gone').argument('[dir]', 'the project directory', '.'))
    .option('--no-wait', 'return once the deletes are sent')
    .option('--timeout <duration>', 'how long to wait until everything is gone', '2m')
    .option('--now', 'give pods 1 second to stop instead of their grace period')
    .action((dir: string, flags: import('./commands/delete.js').DeleteFlags) =>
      run(async (io) => {
        const { runDeleteCommand } = await (await ship('delete')).remove();
        return runDeleteCommand(dir, flags, io);
      }),
    );

  clusterFlags(program.command('status').description('the pods ship deployed for this app: NAME READY STATUS RESTARTS AGE IMAGE, and why a failing one fails').argument('[dir]', 'the project directory', '.'))
    .option('-w, --watch', 'keep the table current until Ctrl-C')
    .action((dir: string, flags: import('./commands/status.js').StatusFlags) =>
      run(async (io) => {
        const { runStatusCommand } = await (await ship('status')).status();
        return runStatusCommand(dir, flags, io);
      }),
    );

  clusterFlags(program.command('logs').description("the app's logs (all its pods, each line prefixed with the pod); -f follows new pods too").argument('[dir]', 'the project directory (default .)').argument('[pod]', 'only this pod (default: every pod of the app)'))
    .option('-f, --follow', 'keep streaming until Ctrl-C, picking up new pods')
    .option('-p, --previous', "the previous run's logs of a restarted container")
    .option('--tail <n>', 'only the last N lines of each pod')
    .option('--since <duration>', 'only lines newer than this (e.g. 5m, 1h)')
    .option('-c, --container <name>', 'container (default: the pod\'s default container, else its first)')
    .option('--prefix', 'prefix each line with its pod even for one pod')
    .action((dirOrPod: string | undefined, pod: string | undefined, flags: import('./commands/logs.js').LogsFlags) =>
      run(async (io) => {
        const modules = await ship('logs');
        const { splitDirAndPod } = await modules.target();
        const { runLogsCommand } = await modules.logs();
        const where = splitDirAndPod([dirOrPod, pod], io.cwd);
        return runLogsCommand(where.dir, where.pod, flags, io);
      }),
    );

  clusterFlags(program.command('exec').description('a command in the app\'s pod, or an interactive shell (bash, else sh); its exit status is ship\'s').usage('[options] [dir] [pod] [-- command...]').argument('[args...]', 'the project directory and/or the pod, then -- and the command'))
    .option('-c, --container <name>', 'container (default: the pod\'s default container, else its first)')
    .option('--no-tty', 'no terminal even when stdin is one')
    .action((args: string[], flags: import('./commands/exec.js').ExecFlags) =>
      run(async (io) => {
        const modules = await ship('exec');
        const { splitDirAndPod } = await modules.target();
        const { runExecCommand } = await modules.exec();
        // What follows "--" is the command; commander hands it over mixed with the other operands.
        const rawArgs = (program as unknown as { rawArgs: string[] }).rawArgs;
        const dashes = rawArgs.indexOf('--');
        const command = dashes >= 0 ? rawArgs.slice(dashes + 1) : [];
        const words = args.slice(0, args.length - command.length);
        if (words.length > 2) {
          const { ShipError } = await modules.errors();
          throw new ShipError('usage', `ship exec takes at most a directory and a pod before "--" (got ${words.join(' ')}).`, { hint: 'Put the command after --: ship exec -- ls -la' });
        }
        const where = splitDirAndPod(words, io.cwd);
        return runExecCommand(where.dir, where.pod, command, flags, io);
      }),
    );

  clusterFlags(program.command('why').description('why a pod is not Ready: conditions, container states, last termination, events, last log lines and the diagnosis').argument('[dir]', 'the project directory (default .)').argument('[pod]', 'the pod (default: the app\'s pod in trouble)'))
    .option('-c, --container <name>', 'container whose logs to show')
    .option('--tail <n>', 'how many log lines to show', '20')
    .action((dirOrPod: string | undefined, pod: string | undefined, flags: import('./commands/why.js').WhyFlags) =>
      run(async (io) => {
        const modules = await ship('why');
        const { splitDirAndPod } = await modules.target();
        const { runWhyCommand } = await modules.why();
        const where = splitDirAndPod([dirOrPod, pod], io.cwd);
        return runWhyCommand(where.dir, where.pod, flags, io);
      }),
    );

  clusterFlags(program.command('doctor').description('check everything ship needs (Docker, kubeconfig, cluster, image loader, JDK, build tool, local port), each with a fix').argument('[dir]', 'the project directory', '.'))
    .option('--port <local[:remote]>', 'local port that must be free (default 8080)')
    .option('--load <how>', 'the loader to check instead of the one the context implies')
    .option('--allow-context <name>', 'accept this non-local context (repeatable)', collect)
    .option('--registry <host[:port][/prefix]>', 'the registry ship would push to')
    .addOption(new Option('--builder <name>', 'the build ship would use').choices(['gradle', 'maven', 'none']))
    .action((dir: string, flags: import('./commands/doctor.js').DoctorFlags) =>
      run(async (io) => {
        const { runDoctorCommand } = await (await ship('doctor')).doctor();
        return runDoctorCommand(dir, flags, io);
      }),
    );

  program
    .command('init')
    .description('write the Dockerfile, Pod manifest (k8s/pod.yaml) and a commented ship.yaml that ship would use into the project')
    .argument('[dir]', 'the project directory', '.')
    .option('--force', 'overwrite files that exist')
    .option('--skip-existing', 'write only the files that do not exist yet')
    .option('--port <port>', 'the port the app listens on (default 8080)')
    .option('--json', 'newline-delimited JSON on stdout; human output on stderr')
    .action((dir: string, flags: import('./commands/init.js').InitFlags) =>
      run(async (io) => {
        const { runInitCommand } = await (await ship('init')).init();
        return runInitCommand(dir, flags, io);
      }),
    );

  return program;
}

async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130); // a second Ctrl-C: stop waiting for cleanups
    process.stderr.write(`\n${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping (press again to quit at once)…\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The code cache is written after the command, when it holds everything the run compiled;
  // not after Ctrl-C (the run may have compiled little). See code-cache.ts.
  process.once('exit', (code) => {
    if (code !== ExitCode.interrupted) bundle?.save(code === 0);
  });
  const io: Io = {
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY && process.stderr.isTTY),
    signal: controller.signal,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
  };

  let job: Promise<number | void> = Promise.resolve();
  const program = buildProgram((r) => {
    job = r(io);
  });
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
    const code = (await job) ?? 0;
    process.exitCode = code;
  } catch (e) {
    process.exitCode = await report(e, process.argv.includes('--json'));
  }
  // Nothing may keep the process alive after the command ended (a stray socket or timer).
  setTimeout(() => process.exit(), 2000).unref();
}

async function report(e: unknown, json: boolean): Promise<number> {
  // A ShipError can only come from the loaded commands (cli.ts takes its ShipError from them too).
  const ShipError = loading ? await loading.then((m) => m.errors()).then((m) => m.ShipError, () => undefined) : undefined;
  const err = e as { code?: string; exitCode?: number; message?: string };
  if (typeof err?.code === 'string' && err.code.startsWith('commander.')) {
    // commander already printed help, the version or the usage error.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return ExitCode.usage;
  }
  const out = ShipError && e instanceof ShipError ? formatShipError(e, json) : formatInternalError(e, json, ExitCode.internal);
  process.stderr.write(out.stderr);
  if (out.stdout) process.stdout.write(out.stdout);
  return out.exitCode;
}

void main();
