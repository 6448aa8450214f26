// Image references split for Kustomize's `images:` transformer: a digest pins the image, so
// when one is given the overlay uses it and drops the tag.

import { parseImageReference } from '../image-reference.ts';

export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
  // One grammar for the whole project: the OCI parser the deploy path and digest pinning use.
  // Every image a render gets has passed that parser already (renderApp, the config check of
  // Build.Image), so the one reference it refuses here is the empty image of an app that has
  // none yet, kept whole as the name.
  const parsed = parseImageReference(ref);
  if (typeof parsed === 'string') return { name: ref };
  return {
    name: parsed.domain ? `${parsed.domain}/${parsed.path}` : parsed.path,
    ...(parsed.tag ? { tag: parsed.tag } : {}),
    ...(parsed.digest ? { digest: parsed.digest } : {}),
  };
}

/** LOCO_APP_VERSION: the tag when there is one, else the digest, else "latest". */
export function imageVersion(image: ImageRef): string {
  return image.tag ?? image.digest ?? 'latest';
}
