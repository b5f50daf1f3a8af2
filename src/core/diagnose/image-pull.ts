// Image pull rules: ErrImagePull / ImagePullBackOff (with the `latest` → Always trap),
// ErrImageNeverPull and InvalidImageName.

import { parseImageRef, shortRef } from '../image-ref.js';
import { eventContainer } from '../pod-events.js';
import { clip, oneLine } from '../text.js';
import { containerLabel } from './slots.js';
import type { Ctx, Diagnosis, Slot } from './types.js';

/** The pull policy Kubernetes picks when the manifest names none. */
export function defaultPullPolicy(ref: string): 'Always' | 'IfNotPresent' {
  const p = parseImageRef(ref);
  if (p.digest) return 'IfNotPresent';
  return p.tag === undefined || p.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function sameImage(a: string, b: string): boolean {
  return shortRef(a) === shortRef(b);
}

function lookupImage<T>(map: Record<string, T> | undefined, ref: string): T | undefined {
  if (!map) return undefined;
  if (ref in map) return map[ref];
  for (const [k, v] of Object.entries(map)) if (sameImage(k, ref)) return v;
  return undefined;
}

// containerd prefixes every resolution error with "failed to resolve reference", network timeouts
// included, so that phrase alone is not decisive; what follows it is.
const DEFINITE_PULL_FAILURE =
  /not found|pull access denied|no such host|manifest unknown|name unknown|repository does not exist|insufficient_scope|unauthorized|authorization failed|server misbehaving|no such image/i;

function pullProblem(message: string): string {
  if (/no such host|server misbehaving|failed to do request: Head/i.test(message) && /lookup /i.test(message)) {
    const host = /lookup ([^\s:]+)/.exec(message)?.[1];
    return host ? `the registry host "${host}" cannot be resolved` : 'the registry host cannot be resolved';
  }
  if (/pull access denied|insufficient_scope|unauthorized|authorization failed|repository does not exist/i.test(message))
    return 'the registry refused it (the repository does not exist there or needs credentials)';
  if (/not found|manifest unknown|name unknown/i.test(message)) return 'the registry has no such image';
  if (/i\/o timeout|connection refused|network is unreachable|dial tcp|TLS handshake timeout/i.test(message))
    return 'no registry can be reached from the node';
  return 'the kubelet could not pull it';
}

export function imagePullDiagnosis(ctx: Ctx, slot: Slot, reason: string, rawMessage: string | undefined): Diagnosis {
  const image = slot.spec?.image ?? slot.status.image;
  const kubeletMsg = oneLine(rawMessage);
  // The ImagePullBackOff message only says "Back-off pulling image"; the ErrImagePull reason is in the Failed events.
  const pullEvents = ctx.events.filter(
    (e) => e.reason === 'Failed' && (!eventContainer(e) || eventContainer(e) === slot.status.name) && /pull|image/i.test(e.message ?? ''),
  );
  const eventMsg = oneLine(pullEvents.filter((e) => !/^Error: (ErrImagePull|ImagePullBackOff)$/.test(e.message ?? '')).at(-1)?.message);
  const why = eventMsg || kubeletMsg;
  const certain = reason === 'ImagePullBackOff' || DEFINITE_PULL_FAILURE.test(why);

  const parsed = parseImageRef(image);
  const policy = slot.spec?.imagePullPolicy ?? defaultPullPolicy(image);
  const defaultPolicy = defaultPullPolicy(image);
  const latest = !parsed.digest && (parsed.tag === undefined || parsed.tag === 'latest');
  const built = (ctx.input.builtImages ?? []).some((b) => sameImage(b, image));
  const onNode = lookupImage(ctx.input.nodeHasImage, image);

  const details: string[] = [
    `Image: ${image}${parsed.registry ? '' : `  (the kubelet looks for docker.io/${parsed.repository.includes('/') ? '' : 'library/'}${parsed.repository}:${parsed.tag ?? 'latest'})`}`,
    `Container: ${slot.status.name}${slot.init ? ' (init)' : ''}`,
    `Pull policy: ${policy}${policy === defaultPolicy ? ` (the default for ${latest ? 'an image with no tag or :latest' : 'a tagged image'})` : ''}`,
    `On the node: ${onNode === undefined ? 'unknown' : onNode ? 'yes' : 'no'}`,
    `Built by ship: ${built ? 'yes' : 'no'}`,
  ];
  if (why) details.push(`Kubelet: ${clip(why, 400)}`);

  const sentences: string[] = [`The image "${image}" of ${containerLabel(slot)} cannot be pulled: ${pullProblem(why)}.`];
  let hint: string;
  if (built && policy === 'Always' && onNode === true) {
    sentences.push('The node has the image, but imagePullPolicy Always makes the kubelet pull it from a registry anyway.');
    hint = 'Set imagePullPolicy: IfNotPresent on this container (ship does so for the containers it rewrites).';
  } else if (built) {
    sentences.push(
      onNode === false
        ? 'ship built this image, but it is not on the node: the image loader did not put it there.'
        : 'ship built this image, but the kubelet did not find it on the node, so the loader did not put it where the kubelet looks.',
    );
    hint = 'Check the load step above (with --load none ship loads nothing); `ship doctor` shows which loader ship picked for this cluster.';
  } else {
    sentences.push("ship did not build this image and no registry the node can reach has it — the manifest's image is left as written.");
    hint = latest
      ? `Without a tag (or with :latest) Kubernetes defaults imagePullPolicy to Always, so the kubelet pulls "${image}" from a registry even when the node has it. If this is your app's image, name it after the project (ship then builds, loads and tags it); otherwise give it a tag and imagePullPolicy: IfNotPresent and load it onto the node yourself.`
      : 'Load the image onto the node yourself, change the manifest to an image the node has, or let ship build it (use the project name as the image name).';
  }
  if (latest && !built) details.push(`"${image}" has no tag or is :latest, so its default pull policy is Always: the kubelet always asks a registry.`);
  return {
    certain,
    reason,
    pod: ctx.name,
    container: slot.status.name,
    message: sentences.join(' '),
    hint,
    details,
  };
}

export function imageNeverPull(ctx: Ctx, slot: Slot, raw: string | undefined): Diagnosis {
  const image = slot.spec?.image ?? slot.status.image;
  const built = (ctx.input.builtImages ?? []).some((b) => sameImage(b, image));
  return {
    certain: true,
    reason: 'ErrImageNeverPull',
    pod: ctx.name,
    container: slot.status.name,
    message: `The image "${image}" of ${containerLabel(slot)} is not on the node, and imagePullPolicy Never forbids pulling it.`,
    hint: built
      ? 'ship built this image but the loader did not put it on the node: check the load step, or set imagePullPolicy: IfNotPresent.'
      : 'Load the image onto the node (or build it with ship), or set imagePullPolicy: IfNotPresent so the kubelet may pull it.',
    details: [`Image: ${image}`, ...(raw ? [`Kubelet: ${oneLine(raw)}`] : [])],
  };
}

export function invalidImageName(ctx: Ctx, slot: Slot, raw: string | undefined): Diagnosis {
  const image = slot.spec?.image ?? slot.status.image;
  return {
    certain: true,
    reason: 'InvalidImageName',
    pod: ctx.name,
    container: slot.status.name,
    message: `The image name "${image}" of ${containerLabel(slot)} is not a valid image reference.`,
    hint: 'Image names are lower case, [registry/]repository[:tag][@sha256:digest], with no spaces.',
    details: raw ? [`Kubelet: ${oneLine(raw)}`] : [],
  };
}
