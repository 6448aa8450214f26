// Image references split for Kustomize's `images:` transformer: a digest pins the image, so
// when one is given the overlay uses it and drops the tag.

export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A colon after the last slash is a tag; one before it belongs to a registry port.
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** LOCO_APP_VERSION: the tag when there is one, else the digest, else "latest". */
export function imageVersion(image: ImageRef): string {
  return image.tag ?? image.digest ?? 'latest';
}
