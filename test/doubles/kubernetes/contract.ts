// What the Kubernetes double sends, checked before it is sent. ResourceQuotas against the
// Kubernetes 1.30 JSON schema in ../shared/schemas (strict: unknown fields fail). There is no
// Node schema there, so lists, Nodes and Status bodies are checked against the model that
// @kubernetes/client-node itself is generated from (each class's attributeTypeMap, OpenAPI
// release-1.36): every field must be one the model declares, with the declared type. The model
// does not say which fields are required, so that part rests on the double's own builders.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const QUOTA_SCHEMA = fileURLToPath(new URL('../../../../shared/schemas/kubernetes/v1.30.10-standalone-strict/resourcequota-v1.json', import.meta.url));

let quotaValidator: ValidateFunction | undefined;

function validateQuota(): ValidateFunction {
  if (!quotaValidator) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ((addFormatsModule as any).default ?? addFormatsModule)(ajv);
    const schema = JSON.parse(readFileSync(QUOTA_SCHEMA, 'utf8'));
    delete schema.$schema;
    quotaValidator = ajv.compile(schema);
  }
  return quotaValidator;
}

/** Schema violations of one ResourceQuota (as a list item: kind and apiVersion may be absent). */
export function quotaProblems(quota: unknown, where: string): string[] {
  const validate = validateQuota();
  if (validate(quota)) return [];
  return (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function modelOf(type: string): Attribute[] | undefined {
  const model = (k8s as Record<string, unknown>)[type] as { getAttributeTypeMap?: () => Attribute[] } | undefined;
  return typeof model?.getAttributeTypeMap === 'function' ? model.getAttributeTypeMap() : undefined;
}

function check(value: unknown, type: string, format: string, path: string, problems: string[]): void {
  if (value === undefined || value === null) return;
  const array = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (type === 'string' || type === 'number' || type === 'boolean') {
    if (typeof value !== type) problems.push(`${path}: ${JSON.stringify(value)} is not a ${type}`);
    else if (type === 'number' && (format === 'int32' || format === 'int64') && !Number.isInteger(value)) problems.push(`${path}: ${value} is not an integer`);
  } else if (type === 'Date') {
    if (typeof value !== 'string' || !RFC3339.test(value)) problems.push(`${path}: ${JSON.stringify(value)} is not an RFC 3339 time`);
  } else if (type === 'any' || type === 'object') {
    // free-form by the model
  } else if (array) {
    if (!Array.isArray(value)) problems.push(`${path}: not an array`);
    else value.forEach((item, i) => check(item, array[1], '', `${path}[${i}]`, problems));
  } else if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) problems.push(`${path}: not an object`);
    else for (const [k, v] of Object.entries(value)) check(v, map[1], '', `${path}.${k}`, problems);
  } else {
    const attributes = modelOf(type);
    if (!attributes) {
      problems.push(`${path}: the model has no type ${type}`);
      return;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${path}: not a ${type} object`);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const attribute = attributes.find((a) => a.baseName === k);
      if (!attribute) problems.push(`${path}.${k} is not a field of ${type}`);
      else check(v, attribute.type, attribute.format, `${path}.${k}`, problems);
    }
  }
}

/** Violations of `body` against the client's model of `type` (e.g. 'V1NodeList', 'V1Status'). */
export function modelProblems(body: unknown, type: string): string[] {
  const problems: string[] = [];
  check(body, type, '', type, problems);
  return problems;
}
