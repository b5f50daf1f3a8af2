// The JVM options of the project image's own `java` command, carried into the dev pod: the dev
// image replaces the entrypoint (live-plan.ts devCommand), which would otherwise lose -Xmx, -D…,
// --add-opens and the like. Pure: the caller passes the image's Config.Entrypoint and Config.Cmd.

import { posix } from 'node:path';

export interface CarriedJvmOptions {
  /** Options to put right after `java` in the dev pod's command (before ship's own). */
  options: string[];
  /** Why the image's options cannot be read (said once to the user); absent when they could be. */
  note?: string;
}

/** Init processes that run the real command after their own flags (and an optional `--`). */
const INIT = new Set(['tini', 'tini-static', 'dumb-init', 'catatonit']);
/** Their flags that take the next argument (tini -e/-p, dumb-init -r/--rewrite). */
const INIT_WITH_VALUE = new Set(['-e', '-p', '-r', '--rewrite']);
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh']);

/** Launcher options whose value is the next argument (or joined with `=` for the `--` ones). */
const WITH_VALUE = new Set([
  '-cp', '-classpath', '--class-path', '-p', '--module-path', '--upgrade-module-path', '--add-modules', '--limit-modules',
  '--add-reads', '--add-exports', '--add-opens', '--patch-module', '--enable-native-access', '--source', '-d', '--describe-module',
]);
/** Dropped with their value: the dev pod runs the exploded application on its own classpath. */
const DROP_WITH_VALUE = new Set(['-cp', '-classpath', '--class-path', '-p', '--module-path', '--upgrade-module-path', '--source', '-d', '--describe-module']);
/** What the app is (the rest of the command is its arguments): the options end here. */
const APP_START = new Set(['-jar', '-m', '--module']);
/** Options that make the launcher print something and exit instead of running the app. */
const LAUNCHER_ONLY = new Set(['-version', '--version', '-help', '--help', '-h', '-?', '-X', '--help-extra', '--dry-run', '--list-modules', '--validate-modules']);
/**
 * Dropped single options:
 * - the image's own debugger agent (ship adds its JDWP agent with --debug; two would fight for the port);
 * - class data sharing archives: they were dumped for the image's class path, not the dev pod's;
 * - Spring AOT: its generated bean definitions would not follow the classes a live update changes.
 */
const DROP = [/^-agentlib:jdwp(=|$)/, /^-Xrunjdwp(:|$)/, /^-Xdebug$/, /^-Xshare:/, /^-XX:SharedArchiveFile=/, /^-XX:ArchiveClassesAtExit=/, /^-XX:[+-]AutoCreateSharedArchive$/, /^-Dspring\.aot\.enabled(=|$)/];

const FIX = 'put them in JAVA_TOOL_OPTIONS (an ENV of the image, which the dev pod keeps)';

/**
 * The options between `java` and the application (`-jar`, `-m`/`--module`, the main class or an
 * `@argfile`) of the command the image runs (Entrypoint then Cmd, as Docker runs them). A
 * `-javaagent:`/`-agentpath:` is kept: its path is in the image, and the dev image is built FROM it.
 */
export function jvmOptionsOf(entrypoint: readonly string[] | null | undefined, cmd: readonly string[] | null | undefined): CarriedJvmOptions {
  let args = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (args.length > 0 && INIT.has(posix.basename(args[0]!))) {
    let i = 1;
    while (i < args.length && args[i]!.startsWith('-') && args[i] !== '--') i += INIT_WITH_VALUE.has(args[i]!) ? 2 : 1;
    args = args.slice(args[i] === '--' ? i + 1 : i);
  }
  if (args.length === 0) return { options: [] };
  const exe = posix.basename(args[0]!);
  if (exe !== 'java') {
    if (SHELLS.has(exe) && args.includes('-c')) {
      return { options: [], note: `the project image starts the app with a shell command (${clip(args.join(' '))}); JVM options in it are not carried into the dev pod — ${FIX}` };
    }
    return { options: [], note: `the project image starts the app through ${clip(args[0]!)}, not java directly; JVM options it passes are not carried into the dev pod — ${FIX}` };
  }

  const options: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (APP_START.has(arg) || arg.startsWith('--module=') || !arg.startsWith('-')) {
      if (arg.startsWith('@')) {
        return { options, note: `the project image's java command reads arguments from ${clip(arg.slice(1))}; JVM options in that file are not carried into the dev pod — ${FIX}` };
      }
      break;
    }
    const name = arg.startsWith('--') ? arg.split('=')[0]! : arg;
    const joined = name !== arg;
    if (WITH_VALUE.has(name)) {
      const value = joined ? [] : args.slice(i + 1, i + 2);
      if (!joined) i++;
      if (!DROP_WITH_VALUE.has(name)) options.push(arg, ...value);
      continue;
    }
    if (LAUNCHER_ONLY.has(arg) || DROP.some((re) => re.test(arg))) continue;
    options.push(arg);
  }
  return { options };
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
