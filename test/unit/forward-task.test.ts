import { describe, expect, it } from 'vitest';
import { quiet } from '../../src/tasks/forward.js';

describe('forward messages while the app starts', () => {
  it('says "nothing listens yet" once for a burst of refusals, and again after 30 s', () => {
    const lines: string[] = [];
    let t = 0;
    const say = quiet((m) => lines.push(m), 8080, () => t);
    const refusal = 'forward (spring-pod): port-forward error from the node: error forwarding port 8080 to pod abc: dial tcp4 127.0.0.1:8080: connect: connection refused';
    for (let i = 0; i < 5; i++) say(refusal);
    expect(lines).toEqual(['forward (spring-pod): nothing listens on port 8080 in the pod yet (connection refused); retrying']);
    t = 31_000;
    say(refusal);
    say('forward: now serving pod/spring-pod-2');
    expect(lines.length).toBe(3);
  });
});
