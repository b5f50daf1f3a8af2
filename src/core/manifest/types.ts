// The data of the manifest step: the files as read, and what rendering them made.

export interface ManifestSource {
  /** Absolute path of the file (or a label such as "<generated>"). */
  file: string;
  text: string;
}

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** The object as plain JSON, exactly what apply sends. */
  body: Record<string, unknown>;
  /** Where it came from: the file and the 0-based index of the document in it. */
  source: { file: string; doc: number };
}

export interface RewrittenContainer {
  file: string;
  kind: string;
  name: string;
  container: string;
  from: string;
  to: string;
}

export interface RenderedManifest {
  /** The multi-document YAML to apply. */
  yaml: string;
  objects: RenderedObject[];
  rewritten: RewrittenContainer[];
  /** Images of containers that were left untouched. */
  otherImages: string[];
}

export interface RenderInput {
  sources: ManifestSource[];
  image: { repository: string; tag: string };
  /** Image names that mean "the image ship built" (e.g. ['kubernetes-spring']); the repository is always one. */
  matchNames: string[];
  /** App name, for the app.kubernetes.io/name label. */
  app: string;
  /** Set on namespaced objects that name none. */
  namespace?: string;
  replicas?: number;
}
