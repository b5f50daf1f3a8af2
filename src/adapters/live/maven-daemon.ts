// A warm Maven for the compiles of live update: one JVM that loads the machine's Maven (its own
// classworlds launcher and m2.conf, as `mvn` does) once and runs each compile through MavenCli in
// it, so Maven's start-up and a cold javac are paid once per dev session instead of per save
// (bench/README.md has the figures). It is still the project's Maven doing the build. Anything
// unusual (a Maven wrapper, no Maven home found, the helper not compiling, the JVM dying) and
// ship runs `mvn` as a process instead.

import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { LineSplitter } from '../kube/logs.js';

/** The helper's Java source: reads "dir<TAB>arg<TAB>arg…" lines, answers with Maven's output and an exit line. */
export const HELPER_SOURCE = `import java.io.*;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.codehaus.plexus.classworlds.ClassWorld;
import org.codehaus.plexus.classworlds.launcher.Launcher;

/** ship's warm Maven: the machine's Maven loaded once, one MavenCli run per input line. */
public class ShipMaven {
  public static void main(String[] argv) throws Exception {
    String home = argv[0];
    System.setProperty("maven.home", home);
    System.setProperty("classworlds.conf", home + "/bin/m2.conf");
    Launcher launcher = new Launcher();
    launcher.setSystemClassLoader(ShipMaven.class.getClassLoader());
    try (InputStream conf = new FileInputStream(home + "/bin/m2.conf")) {
      launcher.configure(conf);
    }
    ClassWorld world = launcher.getWorld();
    Class<?> cli = launcher.getMainClass();
    Thread.currentThread().setContextClassLoader(launcher.getMainRealm());
    Method doMain = cli.getMethod("doMain", String[].class, String.class, PrintStream.class, PrintStream.class);
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    out.println("\\u0001SHIP-READY");
    String line;
    while ((line = in.readLine()) != null) {
      String[] parts = line.split("\\t", -1);
      String dir = parts[0];
      System.setProperty("maven.multiModuleProjectDirectory", dir);
      int code;
      try {
        Object maven = cli.getConstructor(ClassWorld.class).newInstance(world);
        code = (Integer) doMain.invoke(maven, Arrays.copyOfRange(parts, 1, parts.length), dir, out, out);
      } catch (Throwable t) {
        t.printStackTrace(out);
        code = 70;
      }
      out.println("\\u0001SHIP-EXIT " + code);
    }
  }
}
`;

const READY = '\u0001SHIP-READY';
const EXIT = /^\u0001SHIP-EXIT (\d+)$/;

/** The Maven installation behind `mvn` on PATH (or MAVEN_HOME / M2_HOME): where bin/m2.conf and boot/ are. */
export function findMavenHome(env: NodeJS.ProcessEnv): string | undefined {
  const ok = (home: string) => existsSync(join(home, 'bin', 'm2.conf')) && existsSync(join(home, 'boot'));
  for (const v of [env.MAVEN_HOME, env.M2_HOME]) if (v && ok(v)) return v;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const mvn = join(dir, 'mvn');
    if (!dir || !existsSync(mvn)) continue;
    try {
      const home = dirname(dirname(realpathSync(mvn)));
      return ok(home) ? home : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface DaemonResult {
  exitCode: number;
  tail: string[];
}

export class MavenDaemon {
  private queue: Promise<unknown> = Promise.resolve();
  private onLine?: (line: string) => void;
  private onExit?: (code: number) => void;
  private dead?: string;

  private constructor(private readonly child: ResultPromise) {
    const splitter = new LineSplitter((line) => {
      const m = EXIT.exec(line);
      if (m) this.onExit?.(Number(m[1]));
      else this.onLine?.(line);
    });
    child.stdout?.on('data', (d: Buffer) => splitter.push(d.toString('utf8')));
    void child.then((r) => {
      this.dead = `the Maven JVM ended (${r.exitCode ?? r.signal ?? 'killed'})`;
      this.onExit?.(-1);
    });
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /**
   * Compiles the helper into `cacheDir` (once per source) and starts the JVM; resolves when Maven
   * is loaded. Throws when any of that fails (the caller then runs Maven as a process).
   */
  static async start(opts: { mavenHome: string; cacheDir: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<MavenDaemon> {
    const boot = (await readdir(join(opts.mavenHome, 'boot'))).filter((f) => /^plexus-classworlds.*\.jar$/.test(f)).map((f) => join(opts.mavenHome, 'boot', f));
    if (boot.length === 0) throw new Error(`no plexus-classworlds jar in ${opts.mavenHome}/boot`);
    const java = opts.env.JAVA_HOME ? join(opts.env.JAVA_HOME, 'bin', 'java') : 'java';
    const javac = opts.env.JAVA_HOME ? join(opts.env.JAVA_HOME, 'bin', 'javac') : 'javac';
    const classes = join(opts.cacheDir, 'jvm', createHash('sha256').update(HELPER_SOURCE).digest('hex').slice(0, 12));
    if (!existsSync(join(classes, 'ShipMaven.class'))) {
      const tmp = `${classes}.tmp-${process.pid}`;
      await mkdir(tmp, { recursive: true });
      await writeFile(join(tmp, 'ShipMaven.java'), HELPER_SOURCE);
      await execa(javac, ['-nowarn', '--release', '11', '-cp', boot.join(delimiter), '-d', tmp, join(tmp, 'ShipMaven.java')], { env: opts.env, extendEnv: false });
      await rename(tmp, classes).catch(() => undefined); // another ship compiled it first: theirs is the same
    }
    const child = execa(java, ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', [...boot, classes].join(delimiter), 'ShipMaven', opts.mavenHome], {
      env: opts.env,
      extendEnv: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'ignore',
      reject: false,
      buffer: false,
      cleanup: true,
    });
    const daemon = new MavenDaemon(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the Maven JVM did not start in time')), opts.timeoutMs ?? 60_000);
      daemon.onLine = (line) => {
        if (line === READY) {
          clearTimeout(timer);
          daemon.onLine = undefined;
          resolve();
        }
      };
      daemon.onExit = () => {
        clearTimeout(timer);
        reject(new Error(daemon.dead ?? 'the Maven JVM failed'));
      };
    }).catch((e: unknown) => {
      daemon.close();
      throw e;
    });
    return daemon;
  }

  /** One Maven run in `dir`; resolves with its exit code (-1: the JVM is gone). Runs are queued. */
  run(dir: string, args: string[], onLine?: (line: string) => void, keepLines = 60): Promise<DaemonResult> {
    if ([dir, ...args].some((a) => /[\t\n\r]/.test(a))) return Promise.reject(new Error('tab or newline in a Maven argument'));
    const next = this.queue.then(
      () =>
        new Promise<DaemonResult>((resolve) => {
          if (!this.alive) return resolve({ exitCode: -1, tail: [this.dead!] });
          const tail: string[] = [];
          this.onLine = (line) => {
            tail.push(line);
            if (tail.length > keepLines) tail.shift();
            onLine?.(line);
          };
          this.onExit = (code) => {
            this.onLine = undefined;
            this.onExit = undefined;
            resolve({ exitCode: code, tail });
          };
          this.child.stdin?.write([dir, ...args].join('\t') + '\n');
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.dead ??= 'closed';
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
  }
}
