// JSON Schema of loco.toml (draft-07), derived from the field table so editors complete and
// check the same keys that validation accepts. Keys are case-insensitive in Loco; the schema
// lists the canonical spelling and admits other spellings by a case-blind pattern.

import type { Field, ScalarField } from '../config/field-types.ts';
import { profileAliases, profileSections, rootFields } from '../config/fields.ts';
import { ENV_NAME, PROFILE_NAME } from '../config/formats.ts';
import { oldKeys, type OldKeys } from '../config/versions/v0-1-keys.ts';

type Schema = Record<string, unknown>;

/** "^(?!CPU$)[Cc][Pp][Uu]$": other spellings of a key, referring to the canonical one. */
function caseBlindPattern(key: string): string {
  return `^(?!${key}$)${caseBlind(key)}$`;
}

function caseBlind(text: string): string {
  return [...text].map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');
}

function defaultValue(field: ScalarField): unknown {
  return typeof field.default === 'function' || field.default === undefined ? undefined : field.default;
}

function scalarSchema(field: ScalarField): Schema {
  const description = field.doc;
  const def = defaultValue(field);
  const base: Schema = def === undefined ? { description } : { description, default: def };
  switch (field.kind) {
    case 'string':
      return { ...base, type: 'string', ...(field.pattern ? { pattern: field.pattern } : {}) };
    case 'integer':
    case 'number':
      return { ...base, type: field.kind, ...(field.min !== undefined ? { minimum: field.min } : {}), ...(field.max !== undefined ? { maximum: field.max } : {}) };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'enum':
      return { ...base, type: 'string', anyOf: [{ enum: [...field.enumValues!] }, { pattern: `^(${field.enumValues!.map(caseBlind).join('|')})$` }] };
    case 'cpu':
      return { ...base, type: ['string', 'number'], pattern: '^(\\d+(\\.\\d{1,3})?|\\.\\d{1,3}|\\d+m)$', exclusiveMinimum: 0 };
    case 'memory':
      return { ...base, type: 'string', pattern: '^\\d+(\\.\\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)$' };
    case 'duration':
      return { ...base, oneOf: [{ type: 'integer', minimum: field.min ?? 0, ...(field.max !== undefined ? { maximum: field.max } : {}) }, { type: 'string', pattern: '^(\\d+h)?(\\d+m)?(\\d+s)?$', minLength: 2 }] };
    case 'strings':
      return { ...base, type: 'array', items: { type: 'string', minLength: 1 } };
    case 'env-map':
      return { ...base, type: 'object', propertyNames: { pattern: ENV_NAME.source }, additionalProperties: { type: ['string', 'number', 'boolean'] } };
    case 'string-map':
      return { ...base, type: 'object', additionalProperties: { type: 'string' } };
    case 'secret-map':
      return {
        ...base, type: 'object', propertyNames: { pattern: ENV_NAME.source },
        additionalProperties: {
          oneOf: [
            { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[-._a-zA-Z0-9]+$', description: '"<secret>/<key>" of an existing Secret' },
            {
              type: 'object', additionalProperties: false, required: ['Store', 'Key'], description: 'a key of one of the platform\'s secret stores (External Secrets)',
              properties: { Store: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' }, Key: { type: 'string', minLength: 1, maxLength: 1024 }, Property: { type: 'string', minLength: 1 } },
            },
          ],
        },
      };
  }
}

function pointer(path: string[]): string {
  return '#/definitions/v1' + path.map((p) => `/properties/${p}`).join('');
}

function tableSchema(description: string, fields: readonly Field[], path: string[], extra: Schema = {}): Schema {
  const properties: Schema = {};
  const patternProperties: Schema = {};
  for (const field of fields) {
    properties[field.key] = field.kind === 'table' ? tableSchema(field.doc, field.fields, [...path, field.key]) : scalarSchema(field);
    patternProperties[caseBlindPattern(field.key)] = { $ref: pointer([...path, field.key]) };
  }
  return { description, type: 'object', properties: { ...properties, ...(extra.properties as Schema) }, patternProperties: { ...patternProperties, ...(extra.patternProperties as Schema) }, additionalProperties: false };
}

function profileSchema(): Schema {
  const properties: Schema = {};
  const patternProperties: Schema = {};
  for (const section of profileSections) {
    properties[section.key] = { $ref: pointer([section.key]) };
    patternProperties[caseBlindPattern(section.key)] = { $ref: pointer([section.key]) };
  }
  for (const alias of profileAliases) {
    const ref = { $ref: pointer([...alias.target]), description: `Short for ${alias.doc}.` };
    properties[alias.key] = ref;
    patternProperties[caseBlindPattern(alias.key)] = ref;
  }
  return { description: 'Settings of one profile; overrides the top level.', type: 'object', properties, patternProperties, additionalProperties: false };
}

export function locoJsonSchema(): Schema {
  const profiles = {
    description: 'Profiles by name ([Profile.dev], [Profile.prod] …). A file without profiles has the one profile "default".',
    type: 'object',
    propertyNames: { pattern: PROFILE_NAME.source },
    additionalProperties: { $ref: '#/definitions/profile' },
  };
  const root = tableSchema('loco.toml: how Loco builds and deploys one app.', rootFields, [], {
    properties: { Profile: profiles },
    patternProperties: { [caseBlindPattern('Profile')]: { $ref: '#/definitions/v1/properties/Profile' } },
  });
  // ConfigVersion "0.1" picks the old format's keys; anything else is the current version 1.
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://loco.dev/schemas/loco.schema.json',
    title: 'loco.toml',
    description: 'loco.toml, version 1 (current) or "0.1" (the original loco format).',
    type: 'object',
    if: { properties: { Metadata: { type: 'object', properties: { ConfigVersion: { const: '0.1' } }, required: ['ConfigVersion'] } }, required: ['Metadata'] },
    then: { $ref: '#/definitions/v0.1' },
    else: { $ref: '#/definitions/v1' },
    definitions: { v1: root, 'v0.1': oldSchema(oldKeys, 'loco.toml version "0.1": unknown keys are warnings, so they are allowed here.'), profile: profileSchema() },
  };
}

/** The 0.1 keys (any value: the reader converts and reports); other keys are only warnings. */
function oldSchema(keys: OldKeys, description?: string): Schema {
  const properties: Schema = {};
  const patternProperties: Schema = {};
  for (const [key, shape] of Object.entries(keys)) {
    const sub: Schema = shape === 'value' ? {} : 'map' in shape ? { type: 'object', ...(shape.map === 'value' ? {} : { additionalProperties: oldSchema(shape.map as OldKeys) }) } : oldSchema(shape as OldKeys);
    properties[key] = key === 'ConfigVersion' ? { const: '0.1' } : sub;
    patternProperties[caseBlindPattern(key)] = sub;
  }
  return { ...(description ? { description } : {}), type: 'object', properties, patternProperties };
}
