// The diagnosis engine's data: what goes in, what comes out, and what each rule is handed.

import type { CoreV1Event, V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export interface DiagnoseInput {
  pod: V1Pod;
  events: CoreV1Event[];
  /** Image refs ship built in this run, e.g. 'kubernetes-spring:ship-abc'. */
  builtImages?: string[];
  /** Image ref → whether the node has it (asked from the node's runtime by the loader), when known. */
  nodeHasImage?: Record<string, boolean>;
  /** Container name → its last log lines (fetched by the caller when a diagnosis asks for them). */
  logs?: Record<string, string[]>;
  /** Pods of the same app that are being deleted; while there are some, Unschedulable may clear up. */
  terminatingPeers?: number;
  now?: number;
}

export interface Diagnosis {
  /** The outcome is certain: stop waiting now. */
  certain: boolean;
  /** Short machine-friendly reason, e.g. 'ImagePullBackOff', 'CrashLoopBackOff', 'Unschedulable'. */
  reason: string;
  pod: string;
  container?: string;
  /** Plain words, one or two sentences. */
  message: string;
  hint?: string;
  /** Extra lines (already formatted, no trailing newline). */
  details: string[];
  /** The caller should fetch this container's last log lines and diagnose again with them. */
  needsLogs?: { container: string; previous: boolean };
}

/** What every rule reads: the input, its pod, the pod's name, the clock, the events oldest first. */
export interface Ctx {
  input: DiagnoseInput;
  pod: V1Pod;
  name: string;
  now: number;
  events: CoreV1Event[];
}

/** One container of the pod: its status, its spec (when found) and whether it is an init container. */
export interface Slot {
  spec?: V1Container;
  status: V1ContainerStatus;
  init: boolean;
}
