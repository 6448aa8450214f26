// Validates what the Argo CD double sends against the published swagger (OpenAPI 2.0) of
// Argo CD v3.5.1, made strict: the swagger allows unknown fields everywhere, so a misspelt
// field would pass; here every object with declared properties rejects others.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const SWAGGER = fileURLToPath(new URL('../../../../shared/contracts/argocd-swagger.json', import.meta.url));

type Schema = Record<string, unknown>;

export type ContractShape =
  | 'v1alpha1Application'
  | 'v1alpha1ApplicationTree'
  | 'runtimeError'
  | 'watchLine'
  | 'logLine';

let compiled: Map<ContractShape, ValidateFunction> | undefined;

function strictify(node: unknown, definitions: Record<string, Schema>): unknown {
  if (Array.isArray(node)) return node.map((n) => strictify(n, definitions));
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node as Schema)) out[k] = strictify(v, definitions);
  // ResourceNode is `properties + allOf: [ResourceRef]`: fold the ref in so strictness sees all fields.
  if (Array.isArray(out.allOf) && out.properties) {
    const merged = { ...(out.properties as Schema) };
    for (const part of out.allOf as Schema[]) {
      const ref = typeof part.$ref === 'string' ? definitions[part.$ref.replace('#/definitions/', '')] : part;
      Object.assign(merged, (ref?.properties as Schema) ?? {});
    }
    out.properties = merged;
    delete out.allOf;
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function validators(): Map<ContractShape, ValidateFunction> {
  if (compiled) return compiled;
  const swagger = JSON.parse(readFileSync(SWAGGER, 'utf8')) as { definitions: Record<string, Schema> };
  const definitions = strictify(swagger.definitions, swagger.definitions) as Record<string, Schema>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema({ $id: 'argocd', definitions });
  const ref = (name: string) => ({ $ref: `argocd#/definitions/${name}` });
  const streamOf = (result: string) => ({
    type: 'object',
    additionalProperties: false,
    properties: { result: ref(result), error: ref('runtimeStreamError') },
    minProperties: 1,
    maxProperties: 1,
  });
  compiled = new Map<ContractShape, ValidateFunction>([
    ['v1alpha1Application', ajv.compile(ref('v1alpha1Application'))],
    ['v1alpha1ApplicationTree', ajv.compile(ref('v1alpha1ApplicationTree'))],
    ['runtimeError', ajv.compile(ref('runtimeError'))],
    ['watchLine', ajv.compile(streamOf('v1alpha1ApplicationWatchEvent'))],
    ['logLine', ajv.compile(streamOf('applicationLogEntry'))],
  ]);
  return compiled;
}

/** Problems with `body` as the contract's `shape`; empty when it conforms. */
export function contractProblems(shape: ContractShape, body: unknown): string[] {
  const validate = validators().get(shape)!;
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${shape}${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
