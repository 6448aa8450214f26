// Loco as the token issuer ("realm") of a distribution registry's token auth: the registry is
// configured with auth.token {realm, service, issuer, rootcertbundle} and trusts JWTs Loco signs
// with the platform's key (LOCO_REGISTRY_TOKEN_KEY + LOCO_REGISTRY_TOKEN_CERT). Tokens live at
// most five minutes and carry only the access the caller has (docs/registry-tokens.md).
// Pure apart from reading the key files at start-up.

import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocoError } from '../../generator/errors.ts';
import type { RegistryEndpoint } from './registry-client.ts';

/** The seeds' five-minute push credential: no token Loco signs outlives it. */
export const REGISTRY_TOKEN_MAX_SECONDS = 300;

export interface RegistryTokenIssuer {
  /** The registry these tokens are for: the first entry of LOCO_IMAGE_REGISTRIES. */
  registry: RegistryEndpoint;
  /** The registry's auth.token.service, the tokens' audience. */
  service: string;
  /** The registry's auth.token.issuer. */
  issuer: string;
  key: KeyObject;
  /** DER of the certificate the registry's rootcertbundle holds, sent as the JWT's x5c. */
  certificate: Buffer;
}

/** One `type:name:actions` scope of the docker token protocol. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

function readSetting(env: NodeJS.ProcessEnv, name: string): string {
  const path = resolve(env[name]!);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new LocoError('config.invalid-setting', `${name}=${env[name]} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, `point ${name} at a PEM file the API can read, or unset LOCO_REGISTRY_TOKEN_KEY`);
  }
}

/** LOCO_REGISTRY_TOKEN_*; unset key: Loco issues no registry tokens (and `loco deploy` cannot build). */
export function registryTokenIssuerFromEnv(env: NodeJS.ProcessEnv, registries: RegistryEndpoint[] | null): RegistryTokenIssuer | undefined {
  if (!env.LOCO_REGISTRY_TOKEN_KEY) return undefined;
  if (!env.LOCO_REGISTRY_TOKEN_CERT) {
    throw new LocoError('config.invalid-setting', 'LOCO_REGISTRY_TOKEN_KEY is set but LOCO_REGISTRY_TOKEN_CERT is not', 'set LOCO_REGISTRY_TOKEN_CERT to the PEM certificate of that key (the file the registry lists in auth.token.rootcertbundle)');
  }
  const registry = registries?.[0];
  if (!registry) {
    throw new LocoError('config.invalid-setting', 'LOCO_REGISTRY_TOKEN_KEY is set but LOCO_IMAGE_REGISTRIES is not', 'list the registry Loco issues tokens for first in LOCO_IMAGE_REGISTRIES, e.g. LOCO_IMAGE_REGISTRIES=registry.example.com');
  }
  let key: KeyObject;
  let certificate: X509Certificate;
  try {
    key = createPrivateKey(readSetting(env, 'LOCO_REGISTRY_TOKEN_KEY'));
  } catch (error) {
    if (error instanceof LocoError) throw error;
    throw new LocoError('config.invalid-setting', 'LOCO_REGISTRY_TOKEN_KEY does not hold a PEM private key', 'create one with: openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 365 -subj /CN=loco-registry-token');
  }
  try {
    certificate = new X509Certificate(readSetting(env, 'LOCO_REGISTRY_TOKEN_CERT'));
  } catch (error) {
    if (error instanceof LocoError) throw error;
    throw new LocoError('config.invalid-setting', 'LOCO_REGISTRY_TOKEN_CERT does not hold a PEM certificate', 'point it at the certificate made with the key (openssl req -x509 … -out token.crt)');
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new LocoError('config.invalid-setting', 'LOCO_REGISTRY_TOKEN_CERT is not the certificate of LOCO_REGISTRY_TOKEN_KEY', 'use the certificate made together with the key; the registry would refuse every token');
  }
  if (key.asymmetricKeyType !== 'rsa' && !(key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')) {
    throw new LocoError('config.invalid-setting', `LOCO_REGISTRY_TOKEN_KEY is a ${key.asymmetricKeyType} key; Loco signs registry tokens with RSA (RS256) or P-256 (ES256)`, 'create an RSA key: openssl req -x509 -newkey rsa:2048 …');
  }
  return { registry, service: env.LOCO_REGISTRY_TOKEN_SERVICE || registry.host, issuer: env.LOCO_REGISTRY_TOKEN_ISSUER || 'loco', key, certificate: certificate.raw };
}

/** Parses `repository:acme/web/api:push,pull` (a name may not hold ':', but a type may carry a class). */
export function parseScope(scope: string): Access | null {
  const parts = scope.split(':');
  if (parts.length < 3) return null;
  const actions = parts.at(-1)!.split(',').map((a) => a.trim()).filter(Boolean);
  const name = parts.slice(1, -1).join(':');
  if (!name || actions.length === 0) return null;
  return { type: parts[0], name, actions };
}

/** The workspace a repository name belongs to: `<org>/<workspace>/<app>[/…]`, or null for a name outside any. */
export function repositoryOwner(name: string): { org: string; workspace: string; app: string } | null {
  const [org, workspace, app] = name.split('/');
  if (!org || !workspace || !app) return null;
  return { org, workspace, app };
}

/** What a role lets a token do with a repository of its workspace: read pulls, deploy and admin push too. Never delete. */
export function grantedActions(requested: string[], role: 'read' | 'deploy' | 'admin'): string[] {
  const allowed = role === 'read' ? ['pull'] : ['pull', 'push'];
  return [...new Set(requested.filter((a) => allowed.includes(a)))];
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export interface SignedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

/** A JWT the registry accepts (distribution's token spec: x5c header, iss/aud/exp/nbf/iat/jti, access). */
export function signRegistryToken(issuer: RegistryTokenIssuer, input: { subject: string; access: Access[]; now: Date; ttlSeconds: number }): SignedToken {
  const ttl = Math.max(1, Math.min(REGISTRY_TOKEN_MAX_SECONDS, Math.floor(input.ttlSeconds)));
  const now = Math.floor(input.now.getTime() / 1000);
  const rsa = issuer.key.asymmetricKeyType === 'rsa';
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: rsa ? 'RS256' : 'ES256', x5c: [issuer.certificate.toString('base64')] }));
  const claims = b64url(JSON.stringify({
    iss: issuer.issuer, sub: input.subject, aud: issuer.service,
    // nbf a little in the past: the registry's clock may run behind ours
    exp: now + ttl, nbf: now - 10, iat: now, jti: randomBytes(12).toString('hex'),
    access: input.access,
  }));
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), rsa ? issuer.key : { key: issuer.key, dsaEncoding: 'ieee-p1363' });
  return { token: `${header}.${claims}.${b64url(signature)}`, expiresIn: ttl, issuedAt: new Date(now * 1000).toISOString() };
}

/**
 * Loco's own reads and deletes on the registry it issues for (pinning, retention): it signs a
 * token for the one scope asked instead of asking its own realm with credentials it does not hold.
 */
export function ownTokenFor(issuer: RegistryTokenIssuer | undefined, endpoint: RegistryEndpoint): ((scope: string) => string | undefined) | undefined {
  if (!issuer || issuer.registry.host !== endpoint.host) return undefined;
  return (scope) => {
    const access = parseScope(scope);
    return access ? signRegistryToken(issuer, { subject: 'loco', access: [access], now: new Date(), ttlSeconds: 60 }).token : undefined;
  };
}
