// ship's restarter for plain JVM apps (no Spring Boot, so no DevTools): a small Java program in
// the dev image that runs the app's java process, and when a sync writes the trigger file stops it
// and starts it again — the container and the pod stay. Its exit follows the app's (a crash still
// restarts the container, which ship's pod watch turns into a redeploy). Compiled once per source
// into ship's cache with the machine's javac.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { RESTARTER_CLASS, RESTARTER_STARTED } from '../../core/live-plan.js';

export const RESTARTER_SOURCE = `import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** ship's restarter: runs the app's java process and starts it again when the trigger file changes. */
public class ${RESTARTER_CLASS} {
  private static volatile Process app;

  public static void main(String[] argv) throws Exception {
    File trigger = new File(argv[0]);
    List<String> command = Arrays.asList(argv).subList(1, argv.length);
    Runtime.getRuntime().addShutdownHook(new Thread(${RESTARTER_CLASS}::stop));
    long seen = trigger.lastModified();
    app = new ProcessBuilder(command).inheritIO().start();
    for (;;) {
      Thread.sleep(200);
      Process running = app;
      if (!running.isAlive()) System.exit(running.exitValue());
      long now = trigger.lastModified();
      if (now == seen) continue;
      seen = now;
      stop();
      app = new ProcessBuilder(command).inheritIO().start();
      System.out.println("${RESTARTER_STARTED} " + command.get(command.size() - 1) + " (pid " + app.pid() + ")");
    }
  }

  private static void stop() {
    Process p = app;
    if (p == null || !p.isAlive()) return;
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
    }
  }
}
`;

/** The directory holding the compiled restarter class (compiled on first use). */
export async function restarterClasses(cacheDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = join(cacheDir, 'jvm', `restarter-${createHash('sha256').update(RESTARTER_SOURCE).digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, `${RESTARTER_CLASS}.class`))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, `${RESTARTER_CLASS}.java`), RESTARTER_SOURCE);
  const javac = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'javac') : 'javac';
  await execa(javac, ['-nowarn', '--release', '11', '-d', tmp, join(tmp, `${RESTARTER_CLASS}.java`)], { env, extendEnv: false });
  await rename(tmp, dir).catch(() => undefined); // compiled by another ship meanwhile: the same class
  return dir;
}
