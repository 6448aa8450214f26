// Test helpers for rendered manifests: build an overlay with the real `kubectl kustomize`, and
// validate every YAML document against the offline JSON schemas in ../shared/schemas, exactly
// as that folder's README says (kubeconform -strict semantics; a kind without a schema fails).

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const schemasDir = path.resolve(repoRoot, '..', 'shared', 'schemas');
const K8S_DIR = path.join(schemasDir, 'kubernetes', 'v1.30.10-standalone-strict');

/** `kubectl kustomize DIR` → the built YAML stream. Rejects with kustomize's message. */
export async function kustomizeBuild(dir: string): Promise<string> {
  try {
    const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error: any) {
    throw new Error(`kubectl kustomize ${dir} failed: ${error.stderr || error.message}`);
  }
}

const Ajv = ((AjvModule as any).default ?? AjvModule) as new (opts: object) => any;
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: any) => void;
let ajv: any;
const compiled = new Map<string, (doc: unknown) => boolean>();

/** The schema file for a document, by the README's mapping rule (undefined: no schema). */
export function schemaPathFor(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  const k = kind.toLowerCase();
  if (group) {
    const crd = path.join(schemasDir, 'crds', group, `${k}_${version}.json`);
    if (existsSync(crd)) return crd;
  }
  const suffix = group ? `-${group.split('.')[0]}-${version}` : `-${version}`;
  const builtIn = path.join(K8S_DIR, `${k}${suffix}.json`);
  return existsSync(builtIn) ? builtIn : undefined;
}

function validatorFor(file: string): (doc: unknown) => boolean {
  let validate = compiled.get(file);
  if (!validate) {
    if (!ajv) {
      // CRD schemas carry Go (RE2) patterns; the one construct JavaScript lacks is the `(?i)`
      // flag group (PrometheusRule: `^(?i)(abort|warn)?$`), which becomes the `i` flag.
      // Cilium's use RE2's one-letter Unicode classes (`\PC`: not a control character), which
      // JavaScript writes `\P{C}` under the `u` flag ajv sets.
      const goRegExp = (pattern: string, flags: string) => {
        const js = pattern.replace(/\\([pP])([A-Z])/g, '\\$1{$2}');
        return js.includes('(?i)') ? new RegExp(js.replaceAll('(?i)', ''), `${flags}i`) : new RegExp(js, flags);
      };
      ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: Object.assign(goRegExp, { code: 'new RegExp' }) } });
      addFormats(ajv);
      // Kubernetes formats ajv-formats lacks (Cilium's CIDR fields, Gateway host names).
      ajv.addFormat('cidr', /^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$|^[0-9a-fA-F:]+\/[0-9]{1,3}$/);
      ajv.addFormat('idn-hostname', true);
    }
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    delete schema.$schema;
    validate = ajv.compile(schema) as (doc: unknown) => boolean;
    compiled.set(file, validate);
  }
  return validate;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * CRD schemas leave `metadata` open (README "Known limits"), so names and labels of every
 * document are checked here the way the API server would.
 */
function checkMetadata(doc: Record<string, any>, where: string, errors: string[]): void {
  const meta = doc.metadata;
  if (doc.kind === 'Kustomization') return;
  if (!meta || typeof meta.name !== 'string' || !DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253) {
    errors.push(`${where}: metadata.name ${JSON.stringify(meta?.name)} is not a DNS subdomain`);
  }
  for (const [k, v] of Object.entries(meta?.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) errors.push(`${where}: label ${k}=${JSON.stringify(v)} is not a valid label value`);
  }
}

/** Validates every document of a YAML stream; `errors` names the document and the schema error. */
export function validateManifests(yamlText: string): { ok: boolean; errors: string[] } {
  const errors: string[] = [];
  const docs = parseAllDocuments(yamlText);
  docs.forEach((parsed, index) => {
    if (parsed.errors.length) {
      errors.push(`document ${index + 1}: YAML error ${parsed.errors[0].message}`);
      return;
    }
    const doc = parsed.toJS() as Record<string, any> | null;
    if (doc === null || doc === undefined) return;
    const where = `document ${index + 1} (${doc.apiVersion} ${doc.kind} ${doc.metadata?.name ?? ''})`;
    if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
      errors.push(`${where}: apiVersion and kind are required`);
      return;
    }
    const file = schemaPathFor(doc.apiVersion, doc.kind);
    if (!file) {
      errors.push(`${where}: no schema for ${doc.apiVersion} ${doc.kind} in ${schemasDir}`);
      return;
    }
    const validate = validatorFor(file) as ((doc: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params?: unknown }> };
    if (!validate(doc)) {
      for (const e of validate.errors ?? []) errors.push(`${where}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
    checkMetadata(doc, where, errors);
  });
  return { ok: errors.length === 0, errors };
}
