// Two `ship . --detach` of one app started at the same moment (issue 9, item 1), on the gradle
// fixture (a real build writing build/libs). Before the project lock the two builds overwrote each
// other's output, and a 22-byte jar could be baked into the image for these sources. Now the
// second run waits for the first, then finds the image built and deploys it: both end 0, the pod
// runs the app, and a third run trusts the cached image because it is whole.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyProject, deleteNamespace, kubectl, LOAD, newNamespace, shipOnce, stepStatus, waitForCluster } from './helpers.js';

let ns = '';
const app = copyProject('test/fixtures/gradle-app', 'ship-concurrent-');

beforeAll(async () => {
  await waitForCluster(20 * 60_000);
  ns = await newNamespace('e2e-concurrent');
});

afterAll(async () => {
  await deleteNamespace(ns);
  // The copies' images share the repository gradle-app with other tests: only this copy's tag goes.
  app.remove();
});

describe('two runs of one app at once', () => {
  it('the second waits for the first; both end 0 and the pod runs a whole image', async () => {
    const args = [app.dir, '--load', LOAD, '-n', ns];
    const [a, b] = await Promise.all([shipOnce(args), shipOnce(args)]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const waited = [a, b].filter((r) => /waiting: ship \(pid \d+/.test(r.stderr));
    expect(waited, 'exactly one run waited for the other').toHaveLength(1);
    // The one that waited found the image already built from these sources.
    expect(stepStatus(waited[0]!.events, 'build')).toBe('skip');
    expect(stepStatus(waited[0]!.events, 'image')).toBe('skip');
    const logs = await kubectl(['logs', '-n', ns, 'gradle-app']);
    expect(logs.stdout).toMatch(/gradle-app listening on 8080/);
    expect(logs.stdout).not.toMatch(/Invalid or corrupt jarfile/);
    const third = await shipOnce(args);
    expect(third.exitCode, third.stderr).toBe(0);
    expect(stepStatus(third.events, 'image')).toBe('skip');
  });
});
