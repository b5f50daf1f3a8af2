// The pod's containers as rule input: init containers first, each status paired with its spec.

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Slot } from './types.js';

export function containerSlots(pod: V1Pod): Slot[] {
  const slots: Slot[] = [];
  const specOf = (list: V1Container[] | undefined, name: string) => list?.find((c) => c.name === name);
  for (const status of pod.status?.initContainerStatuses ?? []) {
    slots.push({ status, init: true, spec: specOf(pod.spec?.initContainers, status.name) });
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    slots.push({ status, init: false, spec: specOf(pod.spec?.containers, status.name) });
  }
  return slots;
}

export function containerLabel(slot: Slot): string {
  return `${slot.init ? 'init container' : 'container'} "${slot.status.name}"`;
}
