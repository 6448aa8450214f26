// A Trivy server double at its HTTP boundary: the twirp Scan call of Trivy's client/server mode
// (rpc/scanner/service.proto, POST /twirp/trivy.scanner.v1.Scanner/Scan, JSON ScanRequest with
// target, artifact_id, blob_ids, options). Requests are validated as the proto describes them and
// bad ones answered with a twirp error (`{"code":"invalid_argument","msg":…}`, HTTP 400). The
// answer carries the results the test set for the artifact digest, in Trivy's report JSON
// (Results[].Vulnerabilities[] with VulnerabilityID, PkgName, InstalledVersion, FixedVersion,
// Severity) — what `trivy image -f json` prints for the same image.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TrivyVulnerability {
  VulnerabilityID: string;
  PkgName: string;
  InstalledVersion: string;
  FixedVersion?: string;
  Severity: 'UNKNOWN' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
}

export interface TrivyDouble {
  url: string;
  /** Findings by artifact digest (the image manifest's); unknown digests scan clean. */
  findings: Map<string, TrivyVulnerability[]>;
  /** Every valid ScanRequest received. */
  requests: { target: string; artifact_id: string; blob_ids: string[] }[];
  close(): Promise<void>;
}

const SCAN = '/twirp/trivy.scanner.v1.Scanner/Scan';
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export async function startTrivyDouble(): Promise<TrivyDouble> {
  const findings = new Map<string, TrivyVulnerability[]>();
  const requests: TrivyDouble['requests'] = [];
  const twirpError = (res: import('node:http').ServerResponse, status: number, code: string, msg: string) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, msg }));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== SCAN) return twirpError(res, 404, 'bad_route', `no handler for ${req.method} ${req.url}`);
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return twirpError(res, 400, 'malformed', 'this double speaks twirp JSON only');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return twirpError(res, 400, 'malformed', 'the body is not JSON');
      }
      const { target, artifact_id: artifact, blob_ids: blobs } = body as { target?: unknown; artifact_id?: unknown; blob_ids?: unknown };
      if (typeof target !== 'string' || !target) return twirpError(res, 400, 'invalid_argument', 'target is required');
      if (typeof artifact !== 'string' || !DIGEST.test(artifact)) return twirpError(res, 400, 'invalid_argument', 'artifact_id must be a sha256 digest');
      if (!Array.isArray(blobs) || !blobs.every((b) => typeof b === 'string' && DIGEST.test(b))) return twirpError(res, 400, 'invalid_argument', 'blob_ids must be sha256 digests');
      requests.push({ target, artifact_id: artifact, blob_ids: blobs as string[] });
      const vulns = findings.get(artifact) ?? [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        OS: { Family: 'debian', Name: '12.5' },
        Results: [{ Target: `${target} (debian 12.5)`, Class: 'os-pkgs', Type: 'debian', Vulnerabilities: vulns }],
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    findings,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
