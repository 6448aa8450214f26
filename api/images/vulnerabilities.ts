// The vulnerability gate: ask a Trivy server about the exact digest being deployed, then refuse
// findings at or above the workspace's threshold unless a waiver (id, reason, expiry) covers them.
//
// The request is Trivy's twirp Scan call (rpc/scanner/service.proto: POST
// /twirp/trivy.scanner.v1.Scanner/Scan with target, artifact_id, blob_ids, options). The answer is
// read in either spelling Trivy uses for a result: its report JSON (Results[].Vulnerabilities[]
// with VulnerabilityID, PkgName, InstalledVersion, FixedVersion, Severity) or the twirp proto
// names (results[].vulnerabilities[] with vulnerability_id, pkg_name, …).

import { LocoError } from '../../generator/errors.ts';
import { SEVERITIES, type Severity, type VulnWaiver } from './policy.ts';

export const TRIVY_SCAN_PATH = '/twirp/trivy.scanner.v1.Scanner/Scan';

export interface Finding {
  id: string;
  pkg: string;
  installed: string;
  fixed: string;
  severity: Severity;
}

export interface ScanTarget {
  /** The pinned reference, name@sha256:… */
  reference: string;
  digest: string;
  layers: string[];
}

type Loose = Record<string, unknown>;
const pick = (o: Loose, ...keys: string[]): unknown => keys.map((k) => o[k]).find((v) => v !== undefined);

function severityOf(value: unknown): Severity {
  if (typeof value === 'number') return SEVERITIES[value] ?? 'UNKNOWN';
  const text = String(value ?? '').toUpperCase();
  return (SEVERITIES as readonly string[]).includes(text) ? (text as Severity) : 'UNKNOWN';
}

/** The findings of a Trivy answer, in either of its spellings. */
export function findingsOf(body: unknown): Finding[] {
  const results = (pick((body ?? {}) as Loose, 'Results', 'results') ?? []) as Loose[];
  return results.flatMap((result) => ((pick(result, 'Vulnerabilities', 'vulnerabilities') ?? []) as Loose[]).map((v) => ({
    id: String(pick(v, 'VulnerabilityID', 'vulnerability_id', 'vulnerabilityId') ?? '?'),
    pkg: String(pick(v, 'PkgName', 'pkg_name', 'pkgName') ?? '?'),
    installed: String(pick(v, 'InstalledVersion', 'installed_version', 'installedVersion') ?? ''),
    fixed: String(pick(v, 'FixedVersion', 'fixed_version', 'fixedVersion') ?? ''),
    severity: severityOf(pick(v, 'Severity', 'severity')),
  })));
}

export async function scanWithTrivy(url: string, target: ScanTarget, fetchFn: typeof globalThis.fetch = globalThis.fetch): Promise<Finding[]> {
  let response: Response;
  try {
    response = await fetchFn(`${url}${TRIVY_SCAN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ target: target.reference, artifact_id: target.digest, blob_ids: target.layers, options: { vuln_type: ['os', 'library'], security_checks: ['vuln'] } }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new LocoError('unavailable.scanner', `could not reach the vulnerability scanner at ${url}: ${(error as Error).message}`, 'retry; the deploy is refused until the image can be scanned (LOCO_TRIVY_URL)', { cause: error });
  }
  if (!response.ok) {
    throw new LocoError('upstream.scanner', `the vulnerability scanner failed to scan ${target.reference} (HTTP ${response.status})`, 'retry; if it persists, check the Trivy server');
  }
  return findingsOf(await response.json());
}

export interface GateVerdict {
  /** Findings at or above the threshold that no waiver covers. */
  blocking: Finding[];
  /** Waivers that covered a finding, with the finding. */
  waived: { waiver: VulnWaiver; finding: Finding }[];
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** Which findings block the deploy at `now`. An expired waiver covers nothing. */
export function gate(findings: Finding[], threshold: Severity, waivers: VulnWaiver[], now: Date): GateVerdict {
  const live = waivers.filter((w) => endOf(w.expires) > now.getTime());
  const verdict: GateVerdict = { blocking: [], waived: [] };
  for (const finding of findings) {
    if (rank(finding.severity) < rank(threshold)) continue;
    const waiver = live.find((w) => w.id === finding.id);
    if (waiver) verdict.waived.push({ waiver, finding });
    else verdict.blocking.push(finding);
  }
  verdict.blocking.sort((a, b) => rank(b.severity) - rank(a.severity) || a.id.localeCompare(b.id));
  return verdict;
}

/** A date without a time holds through that whole day (UTC). */
function endOf(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires);
}

export function describeFinding(f: Finding): string {
  return `${f.id} (${f.severity}) in ${f.pkg} ${f.installed || '?'} → ${f.fixed || 'no fix yet'}`;
}

export function refuseFindings(reference: string, threshold: Severity, blocking: Finding[]): never {
  const top = blocking.slice(0, 5);
  throw new LocoError('rejected.image-vulnerable',
    `${reference} has ${blocking.length} vulnerabilit${blocking.length === 1 ? 'y' : 'ies'} at or above ${threshold}: ${top.map(describeFinding).join('; ')}${blocking.length > top.length ? `; and ${blocking.length - top.length} more` : ''}`,
    'rebuild on patched packages; or, if the risk is accepted, an admin adds a waiver with a reason and an expiry: PUT …/image-policy {"waivers":[{"id":"CVE-…","reason":"…","expires":"YYYY-MM-DD"}]}',
    { data: { threshold, findings: top } });
}

/** The Loco-Vuln-Waiver trailer: every waiver used, with its expiry and reason. */
export function waiverTrailer(waived: GateVerdict['waived']): string {
  const seen = new Map<string, VulnWaiver>();
  for (const { waiver } of waived) seen.set(waiver.id, waiver);
  return [...seen.values()].map((w) => `${w.id} until ${w.expires} (${w.reason})`).join('; ');
}
