// Ending a child's whole process group gracefully: SIGTERM, a grace period, then SIGKILL.
//
// A build is a tree (mvn -> the Maven JVM -> surefire's forked test JVM; gradlew -> the Gradle
// JVM -> test workers). SIGTERM lets each JVM run its shutdown hooks, which remove its attach
// socket (/tmp/.java_pid<N>), temp files and locks; SIGKILL does not. The caller must wait for
// the whole group, not only the direct child: the test JVM's output goes to its parent, not to
// ship's pipe, so ship's pipe closes while the test JVM is still shutting down, and ship used to
// return, finish its cleanups and exit - and its exit hook SIGKILLed the group (issue 9 item 9).

import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from '../core/sleep.js';

export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // the group is gone already
  }
}

/**
 * Whether a process of the group still runs. On Linux the members are read from /proc, ignoring
 * zombies (an orphan's zombie may never be reaped when PID 1 is not an init, and it holds nothing);
 * elsewhere signal 0 tells.
 */
export function groupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return signalGroup(pgid, 0);
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/**
 * SIGTERM to the group, wait up to `graceMs` for every member to exit, then SIGKILL what is left
 * and wait (bounded) until it is gone. Resolves to how it ended.
 */
export async function endGroup(pgid: number, graceMs: number, pollMs = 50): Promise<'gone' | 'terminated' | 'killed'> {
  if (!groupAlive(pgid)) return 'gone';
  signalGroup(pgid, 'SIGTERM');
  for (const end = Date.now() + graceMs; Date.now() < end; ) {
    await sleep(pollMs);
    if (!groupAlive(pgid)) return 'terminated';
  }
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await sleep(pollMs);
  return 'killed';
}
