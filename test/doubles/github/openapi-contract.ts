// Request and response shapes of the GitHub REST operations Loco calls, taken from GitHub's
// published OpenAPI description (@octokit/openapi). The 13 MB document is read once per
// process; only the named operations and the components they reference are kept and compiled.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Json = Record<string, any>;

export interface OperationContract {
  operationId: string;
  method: string;
  /** '/repos/{owner}/{repo}' */
  path: string;
  match(method: string, pathname: string): Record<string, string> | null;
  /** Problems of a request body ([] when valid or when the operation takes none). */
  checkRequest(body: unknown): string[];
  /** Problems of a response body for `status` ([] when valid). */
  checkResponse(status: number, body: unknown): string[];
  /** GitHub's own example body for `status`, a fresh copy to adapt. */
  example(status: number): any;
}

const require = createRequire(import.meta.url);
const SPEC_PATH = require.resolve('@octokit/openapi/generated/api.github.com.json');
let spec: Json | undefined;

function resolvePointer(doc: Json, ref: string): Json {
  return ref.slice(2).split('/').reduce((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

/** Copies every component reachable from `node` into `into` (same pointers). */
function collectRefs(doc: Json, node: unknown, into: Json): void {
  if (Array.isArray(node)) return node.forEach((n) => collectRefs(doc, n, into));
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/')) {
      const [, , section, name] = value.split('/');
      into[section] ??= {};
      if (!(name in into[section])) {
        into[section][name] = doc.components[section][name];
        collectRefs(doc, into[section][name], into);
      }
    } else collectRefs(doc, value, into);
  }
}

function deref(doc: Json, node: Json | undefined): Json | undefined {
  while (node && typeof node.$ref === 'string') node = resolvePointer(doc, node.$ref);
  return node;
}

export function loadGitHubContract(operationIds: string[]): Map<string, OperationContract> {
  spec ??= JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Json;
  const doc = spec;
  const subset: Json = { $id: 'https://loco.test/github-subset.json', components: {}, operations: {} };
  const found: { id: string; method: string; path: string; op: Json }[] = [];
  for (const [p, item] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      if (operationIds.includes(op?.operationId)) found.push({ id: op.operationId, method: method.toUpperCase(), path: p, op });
    }
  }
  const missing = operationIds.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw new Error(`GitHub OpenAPI has no operation ${missing.join(', ')}`);

  for (const { id, op } of found) {
    const key = id.replace('/', '__');
    const responses: Json = {};
    for (const [status, response] of Object.entries<Json>(op.responses)) {
      const schema = deref(doc, response)?.content?.['application/json']?.schema;
      if (schema) responses[status] = schema;
    }
    const request = deref(doc, op.requestBody)?.content?.['application/json']?.schema;
    subset.operations[key] = { request, responses };
    collectRefs(doc, subset.operations[key], subset.components);
  }

  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  (addFormatsModule as unknown as { default: (a: Ajv) => void }).default?.(ajv) ?? (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  // GitHub's own format for "owner/repo" names.
  ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/);
  ajv.addSchema(subset);
  const validators = new Map<string, ValidateFunction>();
  const validator = (pointer: string): ValidateFunction => {
    let v = validators.get(pointer);
    if (!v) validators.set(pointer, (v = ajv.compile({ $ref: `${subset.$id}#${pointer}` })));
    return v;
  };
  const problems = (v: ValidateFunction, value: unknown): string[] =>
    v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);

  const contracts = new Map<string, OperationContract>();
  for (const { id, method, path: template, op } of found) {
    const key = id.replace('/', '__');
    const names: string[] = [];
    const regex = new RegExp('^' + template.replace(/\{([^}]+)\}/g, (_, name: string) => {
      names.push(name);
      // {ref} in git/refs is a path ('heads/feature/x'); other parameters are one segment.
      return name === 'ref' ? '(.+)' : '([^/]+)';
    }) + '$');
    contracts.set(id, {
      operationId: id,
      method,
      path: template,
      match(m, pathname) {
        if (m !== method) return null;
        const hit = regex.exec(pathname);
        if (!hit) return null;
        return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(hit[i + 1])]));
      },
      checkRequest(body) {
        if (!subset.operations[key].request) return body === undefined ? [] : ['operation takes no body'];
        return problems(validator(`/operations/${key}/request`), body);
      },
      checkResponse(status, body) {
        if (!(String(status) in op.responses)) return [`status ${status} is not a documented response of ${id}`];
        if (!subset.operations[key].responses[status]) return body === undefined || body === '' ? [] : [`status ${status} of ${id} has no body`];
        return problems(validator(`/operations/${key}/responses/${status}`), body);
      },
      example(status) {
        const content = deref(doc, op.responses[String(status)])?.content?.['application/json'];
        const first = content?.examples ? Object.values<Json>(content.examples)[0] : undefined;
        const value = deref(doc, first)?.value;
        return value === undefined ? undefined : structuredClone(value);
      },
    });
  }
  return contracts;
}
