// Container image references by the OCI distribution grammar (distribution/reference, the one
// docker, containerd and skopeo share), parsed without backtracking regexes. Pure: the deploy
// path checks `image` with it, and digest pinning (api/images/) reads the parts it returns.
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component { "/" path-component }    (at most 255 characters)
//   domain    := host [ ":" port ]; the first component is a domain when it holds "." or ":" or is "localhost"
//   path-component := [a-z0-9]+ { ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ }
//   tag       := [\w][\w.-]{0,127}
//   digest    := algorithm ":" hex; algorithm := [A-Za-z][A-Za-z0-9]* { [+._-] [A-Za-z][A-Za-z0-9]* }

export interface ImageReference {
  /** Registry host (and port) as written, or null for Docker Hub's default. */
  domain: string | null;
  /** Repository path inside the registry, e.g. "acme/api" (no implicit "library/"). */
  path: string;
  tag: string | null;
  /** e.g. "sha256:3f9c…", or null. */
  digest: string | null;
}

export const NAME_MAX = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const ALGORITHM = /^[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*$/;
const HEX = /^[0-9a-fA-F]{32,}$/;
const PORT = /^[0-9]+$/;
const SHA256 = /^[a-f0-9]{64}$/;

function validDomain(domain: string): boolean {
  let host = domain;
  const bracket = domain.startsWith('[') ? domain.indexOf(']') : -1;
  if (bracket > 0) {
    // [IPv6]:port
    const inside = domain.slice(1, bracket);
    if (!/^[0-9A-Fa-f:.]+$/.test(inside)) return false;
    const rest = domain.slice(bracket + 1);
    return rest === '' || (rest.startsWith(':') && PORT.test(rest.slice(1)));
  }
  const colon = domain.lastIndexOf(':');
  if (colon >= 0) {
    if (!PORT.test(domain.slice(colon + 1))) return false;
    host = domain.slice(0, colon);
  }
  return host.split('.').every((part) => DOMAIN_COMPONENT.test(part));
}

/** Parses `text` as an image reference; returns why not as a string. */
export function parseImageReference(text: string): ImageReference | string {
  if (text === '') return 'it is empty';
  if (/[\s\u0000-\u001f\u007f]/.test(text)) return 'it contains white space or a control character';
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const colon = digest.indexOf(':');
    if (colon < 0 || !ALGORITHM.test(digest.slice(0, colon)) || !HEX.test(digest.slice(colon + 1))) return `"@${digest}" is not a digest (write @sha256:<64 hex digits>)`;
    if (digest.startsWith('sha256:') && !SHA256.test(digest.slice(7))) return 'a sha256 digest has 64 lower-case hex digits';
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const tagColon = rest.indexOf(':', lastSlash + 1);
  if (tagColon >= 0) {
    tag = rest.slice(tagColon + 1);
    rest = rest.slice(0, tagColon);
    if (!TAG.test(tag)) return `"${tag}" is not a tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`;
  }
  if (rest.length > NAME_MAX) return `the name is longer than ${NAME_MAX} characters`;
  const parts = rest.split('/');
  let domain: string | null = null;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost' || parts[0] !== parts[0].toLowerCase())) {
    domain = parts.shift()!;
    if (!validDomain(domain)) return `"${domain}" is not a registry host`;
  }
  for (const part of parts) {
    if (!PATH_COMPONENT.test(part)) return part === '' ? 'the name has an empty path component' : `"${part}" is not a valid repository path component (lower-case letters and digits, separated by ".", "_", "__" or "-")`;
  }
  return { domain, path: parts.join('/'), tag, digest };
}

/** Why `text` is not an image reference, as [message, hint], or undefined when it is one. */
export function imageReferenceProblem(text: string): [string, string] | undefined {
  const parsed = parseImageReference(text);
  if (typeof parsed !== 'string') return undefined;
  return [`${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)} is not an image reference: ${parsed}`, 'write "registry/name:tag" or "registry/name@sha256:<digest>", e.g. "ghcr.io/acme/api:1.4.2"'];
}
