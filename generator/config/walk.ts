// Walks a parsed TOML table against the field table: matches keys case-insensitively to their
// canonical field, converts values, and records a problem for anything that does not fit,
// carrying on so that every problem of the file is reported at once.

import type { AliasField, Field, ProfileField, ScalarField } from './field-types.ts';
import { rootFields } from './fields.ts';
import { checkEnvName, externalSecretRef, parseCpu, parseDuration, parseMemory, parseSecretRef } from './formats.ts';
import type { SecretSource } from './spec.ts';
import { pathId } from './locate.ts';
import { closest, type ProblemList } from './problems.ts';

/** App types loco's docs listed that Loco does not deploy (yet): refused by name, not as an unknown value. */
const PLANNED_TYPES = ['DATABASE', 'CACHE', 'QUEUE', 'BLOB', 'FUNCTION'];

export interface WalkContext {
  problems: ProblemList;
  /** Canonical path id → raw path as written (for locating later problems). */
  rawPaths: Map<string, string[]>;
}

export function isTable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  // smol-toml builds tables without a prototype; its dates are Date objects.
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object' && v !== null) return 'a date/time';
  return `${typeof v} ${String(v)}`;
}

/** Every canonical leaf and table path in the file format, for "did you mean" across sections. */
const allPaths: string[][] = [];
(function index(fields: readonly Field[], prefix: string[]) {
  for (const f of fields) {
    allPaths.push([...prefix, f.key]);
    if (f.kind === 'table') index(f.fields, [...prefix, f.key]);
  }
})(rootFields, []);

export function walkTable(
  raw: Record<string, unknown>,
  fields: readonly ProfileField[],
  rawPath: string[],
  canonPath: string[],
  out: Record<string, any>,
  ctx: WalkContext,
  /** Where aliases write: the root of the profile layer and its canonical path. */
  aliasRoot?: { out: Record<string, any>; canonPath: string[] },
): void {
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) {
    const keyPath = [...rawPath, key];
    const field = fields.find((f) => f.key.toLowerCase() === key.toLowerCase());
    if (!field) {
      unknownKey(key, keyPath, canonPath, fields, ctx);
      continue;
    }
    if (field.kind === 'alias') {
      walkAlias(field, value, keyPath, ctx, aliasRoot!);
      continue;
    }
    const canon = [...canonPath, field.key];
    const earlier = seen.get(field.key);
    // The same table in two spellings ([resources.scalers] next to [Resources]) merges.
    if (earlier !== undefined && field.kind !== 'table') {
      ctx.problems.add('config.duplicate-key', keyPath, canon.join('.'), `${canon.join('.')} is written twice (${earlier} and ${key})`, 'keys are case-insensitive: keep one of them');
      continue;
    }
    seen.set(field.key, key);
    setField(field, value, keyPath, canon, out, ctx);
  }
}

function setField(field: Field, value: unknown, keyPath: string[], canon: string[], out: Record<string, any>, ctx: WalkContext): void {
  const id = pathId(canon);
  // Tables may be reached twice (Replicas.Max next to [Profile.p.Resources.Replicas]); they merge.
  if (ctx.rawPaths.has(id) && field.kind !== 'table') {
    ctx.problems.add('config.duplicate-key', keyPath, canon.join('.'), `${canon.join('.')} is set twice (once through a profile short key)`, `keep only one of ${ctx.rawPaths.get(id)!.join('.')} and ${keyPath.join('.')}`);
    return;
  }
  if (!ctx.rawPaths.has(id)) ctx.rawPaths.set(id, keyPath);
  if (field.kind === 'table') {
    if (!isTable(value)) {
      ctx.problems.add('config.invalid-type', keyPath, canon.join('.'), `${canon.join('.')} must be a table, not ${describe(value)}`, `write it as a section: [${canon.join('.')}]`);
      return;
    }
    const child = (out[field.prop] ??= {});
    walkTable(value, field.fields, keyPath, canon, child, ctx);
    return;
  }
  const converted = convertScalar(field, value, keyPath, canon, ctx);
  if (converted !== undefined) out[field.prop] = converted;
}

function walkAlias(alias: AliasField, value: unknown, keyPath: string[], ctx: WalkContext, root: { out: Record<string, any>; canonPath: string[] }): void {
  // Resolve the alias to the real field, creating the parent tables on the way.
  let fields: readonly Field[] = rootFields;
  let out = root.out;
  const canon = [...root.canonPath];
  for (let n = 0; n < alias.target.length; n++) {
    const field = fields.find((f) => f.key === alias.target[n])!;
    canon.push(field.key);
    if (n === alias.target.length - 1) {
      setField(field, value, keyPath, canon, out, ctx);
      return;
    }
    if (field.kind !== 'table') return;
    out = out[field.prop] ??= {};
    fields = field.fields;
  }
}

function unknownKey(key: string, keyPath: string[], canonPath: string[], fields: readonly ProfileField[], ctx: WalkContext): void {
  const where = [...canonPath, key].join('.');
  const near = closest(key, fields.map((f) => f.key));
  let hint: string;
  if (near) hint = `did you mean ${[...canonPath, near].join('.')}?`;
  else if (canonPath.length >= 2 && canonPath[0] === 'Profile' && key.toLowerCase() === 'metadata') hint = 'Metadata is the same for every profile: move it to the top level';
  else {
    const elsewhere = allPaths.find((p) => p[p.length - 1].toLowerCase() === key.toLowerCase());
    if (elsewhere && elsewhere.length > 1 && key.toLowerCase() !== 'type') hint = `${key} belongs in [${elsewhere.slice(0, -1).join('.')}]: did you mean ${elsewhere.join('.')}?`;
    else if (elsewhere && elsewhere.length === 1) hint = `[${elsewhere[0]}] is a top-level section`;
    else hint = `known keys here: ${fields.map((f) => f.key).join(', ')}`;
  }
  ctx.problems.add('config.unknown-key', keyPath, where, `${where} is not a known key`, hint);
}

function convertScalar(field: ScalarField, value: unknown, keyPath: string[], canon: string[], ctx: WalkContext): unknown {
  const where = canon.join('.');
  const bad = (message: string, hint: string) => {
    ctx.problems.add('config.invalid-value', keyPath, where, `${where}: ${message}`, hint);
    return undefined;
  };
  const range = (n: number) => (field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max);
  const rangeText = () => (field.min !== undefined && field.max !== undefined ? `between ${field.min} and ${field.max}` : field.max !== undefined ? `at most ${field.max}` : `at least ${field.min}`);
  let result: unknown;
  switch (field.kind) {
    case 'string':
      if (typeof value !== 'string') return bad(`expected a string, got ${describe(value)}`, `put the value in quotes, e.g. ${field.key} = ${field.example ?? '"…"'}`);
      result = value;
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad(`expected a whole number, got ${describe(value)}`, `write a number without quotes, e.g. ${field.key} = ${field.min ?? 1}`);
      if (range(value)) return bad(`${value} is out of range`, `use a number ${rangeText()}`);
      result = value;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad(`expected a number, got ${describe(value)}`, `write a number without quotes, e.g. ${field.key} = 0.5`);
      if (range(value)) return bad(`${value} is out of range`, `use a number ${rangeText()}`);
      result = value;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return bad(`expected true or false, got ${describe(value)}`, `write ${field.key} = true or ${field.key} = false, without quotes`);
      result = value;
      break;
    case 'enum': {
      const match = typeof value === 'string' ? field.enumValues!.find((e) => e.toLowerCase() === value.toLowerCase()) : undefined;
      if (match === undefined && where === 'Metadata.Type' && typeof value === 'string' && PLANNED_TYPES.includes(value.toUpperCase())) {
        ctx.problems.add('config.unsupported-type', keyPath, where, `Metadata.Type "${value}" is not supported yet`, `Loco deploys ${field.enumValues!.join(', ')} apps today; run the ${value.toLowerCase()} outside Loco and pass its address in [Env.Secrets]`);
        return undefined;
      }
      if (match === undefined) {
        const near = typeof value === 'string' ? closest(value, field.enumValues!) : undefined;
        return bad(`${describe(value)} is not one of ${field.enumValues!.map((e) => `"${e}"`).join(', ')}`, near ? `did you mean "${near}"?` : `use one of ${field.enumValues!.join(', ')}`);
      }
      result = match;
      break;
    }
    case 'cpu':
      result = parseCpu(value);
      if (result === undefined) return bad(`${describe(value)} is not a CPU quantity`, 'write cores or millicores in quotes, e.g. "250m" or "1.5" (1m to 256)');
      break;
    case 'memory':
      result = parseMemory(value);
      if (result === undefined) return bad(`${describe(value)} is not a memory quantity`, 'write a number with a unit in quotes, e.g. "256Mi" or "2Gi" (4Mi to 1Ti)');
      break;
    case 'duration': {
      const seconds = parseDuration(value);
      if (seconds === undefined) return bad(`${describe(value)} is not a duration`, 'write whole seconds (30) or a string with a unit ("30s", "5m", "1h")');
      if (range(seconds)) return bad(`${seconds} s is out of range`, `use a duration ${rangeText()} seconds`);
      result = seconds;
      break;
    }
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) return bad(`expected an array of non-empty strings, got ${describe(value)}`, `write e.g. ${field.key} = ["a", "b"]`);
      result = [...value];
      break;
    case 'env-map':
      return convertEnvMap(value, keyPath, canon, ctx);
    case 'secret-map':
      return convertSecretMap(value, keyPath, canon, ctx);
    case 'string-map':
      if (!isTable(value) || !Object.values(value).every((v) => typeof v === 'string')) return bad(`expected a table of name = "value", got ${describe(value)}`, `write it as a section: [${where}] with name = "value" lines`);
      return { ...value };
  }
  const problem = field.check?.(result);
  if (problem) return bad(problem[0], problem[1]);
  return result;
}

/**
 * A table of NAME = value under `canon` (Env.Variables, Env.Secrets): checks it is a table and
 * every NAME is an environment variable name; `entry` converts one value or reports why not.
 */
function convertNameTable<T>(
  value: unknown, keyPath: string[], canon: string[], ctx: WalkContext, shape: string,
  entry: (name: string, v: unknown, at: string[], where: string) => T | undefined,
): Record<string, T> | undefined {
  const where = canon.join('.');
  if (!isTable(value)) {
    ctx.problems.add('config.invalid-type', keyPath, where, `${where} must be a table of NAME = ${shape}`, `write it as a section: [${where}]`);
    return undefined;
  }
  const out: Record<string, T> = {};
  for (const [name, v] of Object.entries(value)) {
    const at = [...keyPath, name];
    const nameProblem = checkEnvName(name);
    if (nameProblem) {
      ctx.problems.add('config.invalid-key', at, `${where}.${name}`, nameProblem[0], nameProblem[1]);
      continue;
    }
    const id = pathId([...canon, name]);
    if (!ctx.rawPaths.has(id)) ctx.rawPaths.set(id, at); // rules in check.ts point at the variable
    const converted = entry(name, v, at, where);
    if (converted !== undefined) out[name] = converted;
  }
  return out;
}

function convertEnvMap(value: unknown, keyPath: string[], canon: string[], ctx: WalkContext): Record<string, string> | undefined {
  return convertNameTable(value, keyPath, canon, ctx, '"value"', (name, v, at, where) => {
    // Secret-looking names are a rule of the whole profile (Env.NotSecret may list them): check.ts.
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
    else ctx.problems.add('config.invalid-value', at, `${where}.${name}`, `${where}.${name}: expected a string, number or boolean, got ${describe(v)}`, `write ${name} = "value"`);
    return undefined;
  });
}

function convertSecretMap(value: unknown, keyPath: string[], canon: string[], ctx: WalkContext): Record<string, SecretSource> | undefined {
  return convertNameTable<SecretSource>(value, keyPath, canon, ctx, '"<secret>/<key>" or { Store = "…", Key = "…" }', (name, v, at, where) => {
    if (parseSecretRef(v)) return v as string;
    if (isTable(v)) {
      const ref = externalSecretRef(v);
      if (typeof ref !== 'string') return ref;
      ctx.problems.add('config.invalid-value', at, `${where}.${name}`, `${where}.${name}: ${ref}`, `write ${name} = { Store = "<store>", Key = "<key in the store>" }, e.g. { Store = "aws-ssm", Key = "/prod/db/password" }`);
      return undefined;
    }
    ctx.problems.add('config.invalid-value', at, `${where}.${name}`, `${where}.${name}: ${describe(v)} is not a secret reference`, `write ${name} = "<secret-name>/<key>", e.g. "db-credentials/password", or ${name} = { Store = "aws-ssm", Key = "/prod/db/password" }`);
    return undefined;
  });
}
