// The routes a workspace's repository actually asks the Gateway for, read from each overlay's
// route.yaml (what Argo CD applies, whatever commit put it there), and how they compare with the
// claims in the database. Pure: files in, claims and disagreements out.

import { parse } from 'yaml';
import type { RouteClaim } from '../../generator/index.ts';

export interface RouteInGit extends RouteClaim {
  app: string;
  profile: string;
  /** The file it was read from. */
  path: string;
}

const ROUTE_FILE = /^apps\/([^/]+)\/overlays\/([^/]+)\/route\.yaml$/;
const OVERLAY_FILE = /^apps\/([^/]+)\/overlays\/([^/]+)\/kustomization\.yaml$/;

/** `app\nprofile` of every overlay in `files`. */
export function overlaysInTree(files: Map<string, string>): Set<string> {
  return new Set([...files.keys()].flatMap((path) => {
    const at = OVERLAY_FILE.exec(path);
    return at ? [`${at[1]}\n${at[2]}`] : [];
  }));
}

type Doc = { kind?: string; spec?: { hostnames?: unknown; rules?: Array<{ matches?: Array<{ path?: { value?: unknown }; method?: { service?: unknown } }> }> } };

/** Claims of every overlay's HTTPRoute/GRPCRoute in `files` (repository path → text). */
export function routesInTree(files: Map<string, string>): RouteInGit[] {
  const out: RouteInGit[] = [];
  for (const [path, text] of files) {
    const at = ROUTE_FILE.exec(path);
    if (!at) continue;
    let doc: Doc;
    try {
      doc = (parse(text) ?? {}) as Doc;
    } catch {
      continue; // a file kustomize cannot read either; Argo CD reports it as a sync error
    }
    const hosts = Array.isArray(doc.spec?.hostnames) ? doc.spec.hostnames.filter((h): h is string => typeof h === 'string') : [];
    const matches = (doc.spec?.rules ?? []).flatMap((r) => r.matches ?? [{}]);
    const grpc = doc.kind === 'GRPCRoute';
    const prefixes = grpc
      ? (matches.some((m) => typeof m.method?.service !== 'string') || !matches.length ? ['/'] : matches.map((m) => `/${String(m.method!.service)}`))
      : (matches.map((m) => (typeof m.path?.value === 'string' ? m.path.value : '/')));
    for (const host of hosts) {
      for (const pathPrefix of [...new Set(prefixes.length ? prefixes : ['/'])]) {
        out.push({ app: at[1], profile: at[2], host: host.toLowerCase(), protocol: grpc ? 'grpc' : 'http', pathPrefix, path });
      }
    }
  }
  return out;
}

export interface ClaimRow extends RouteClaim {
  app: string;
  profile: string;
}

export interface RouteFinding {
  code: 'route.unclaimed' | 'route.foreign-host' | 'route.claim-not-in-git';
  message: string;
  hint: string;
}

const key = (c: { app: string; profile: string; host: string; protocol: string; pathPrefix: string }) => `${c.app}\n${c.profile}\n${c.host}\n${c.protocol}\n${c.pathPrefix}`;
const where = (c: RouteClaim) => (c.protocol === 'grpc' ? `gRPC ${c.pathPrefix === '/' ? 'every service' : c.pathPrefix.slice(1)} on ${c.host}` : `${c.host}${c.pathPrefix}`);

/**
 * Routes in git with no matching claim (worst: on a host another workspace owns), and claims that
 * git no longer carries. `busy` holds `app\nprofile` pairs with a deployment still on its way to a
 * commit: their claim is ahead of git for a moment, which is not a disagreement. `overlays` holds the
 * `app\nprofile` pairs git has an overlay for: a claim of a pair without one is a reservation by a
 * deploy that never landed (failed before its commit); it routes nothing, so it is not reported.
 */
export function compareRoutes(git: RouteInGit[], claims: ClaimRow[], foreignHosts: Set<string>, busy: Set<string>, overlays: Set<string>): RouteFinding[] {
  const claimed = new Set(claims.map(key));
  const inGit = new Set(git.map(key));
  const findings: RouteFinding[] = [];
  for (const r of git) {
    if (claimed.has(key(r))) continue;
    if (foreignHosts.has(r.host)) {
      findings.push({ code: 'route.foreign-host', message: `${r.path} routes ${where(r)}, a host that belongs to another workspace`,
        hint: 'a commit made outside Loco is taking traffic of another tenant: revert it (loco rollback, or a commit restoring the file) at once' });
    } else {
      findings.push({ code: 'route.unclaimed', message: `${r.path} routes ${where(r)} for ${r.app}@${r.profile}, but the database holds no claim for it`,
        hint: `redeploy ${r.app} to ${r.profile} (the deploy claims its routes), or rebuild the records from git into an empty database (admin rebuild-from-git)` });
    }
  }
  for (const c of claims) {
    const release = `${c.app}\n${c.profile}`;
    if (inGit.has(key(c)) || busy.has(release) || !overlays.has(release)) continue;
    findings.push({ code: 'route.claim-not-in-git', message: `${c.app}@${c.profile} holds a claim on ${where(c)} that no route in git uses`,
      hint: `redeploy ${c.app} to ${c.profile}, or destroy the app to free the claim` });
  }
  return findings;
}
