// Which version of the loco.toml format a file is written in. Metadata.ConfigVersion says it:
// the string "0.1" (the format loco's existing users have) or the integer 1 (the current one);
// a file without it is the version the caller assumes — the current one, or, when Loco
// re-reads a release's file (rollback, promotion), the version recorded with that release.

import { LocoError } from '../../errors.ts';
import { pathId, type KeyPositions } from '../locate.ts';
import { isTable } from '../walk.ts';

export type ConfigVersion = '0.1' | 1;

export const CURRENT_VERSION: ConfigVersion = 1;
export const SUPPORTED_VERSIONS: readonly ConfigVersion[] = ['0.1', 1];

const shown = (v: ConfigVersion) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** Reads a recorded version ("0.1" or 1, as release.yaml holds it); undefined when it is neither. */
export function asConfigVersion(value: unknown): ConfigVersion | undefined {
  if (value === '0.1') return '0.1';
  if (value === 1) return 1;
  return undefined;
}

export function configVersionOf(raw: Record<string, unknown>, file: string, positions: KeyPositions, assumed: ConfigVersion = CURRENT_VERSION): ConfigVersion {
  const metaKey = Object.keys(raw).find((k) => k.toLowerCase() === 'metadata');
  const meta = metaKey ? raw[metaKey] : undefined;
  if (!isTable(meta)) return assumed;
  const key = Object.keys(meta).find((k) => k.toLowerCase() === 'configversion');
  if (key === undefined) return assumed;
  const value = meta[key];
  const known = asConfigVersion(value);
  if (known !== undefined) return known;
  const at = { file, ...(positions.get(pathId([metaKey!, key])) ?? { line: 1, column: 1 }) };
  const written = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const hint = value === '1' ? 'write ConfigVersion = 1 (a number) for the current format' : `this Loco reads ConfigVersion ${SUPPORTED_VERSIONS.map(shown).join(' and ')}; write one of them, or upgrade Loco`;
  const message = `Metadata.ConfigVersion ${written} is not a version this Loco reads (it reads ${SUPPORTED_VERSIONS.map(shown).join(' and ')})`;
  throw new LocoError('config.unsupported-version', `${file}:${at.line}:${at.column}: ${message}`, hint, {
    at,
    problems: [{ code: 'config.unsupported-version', message, hint, at, path: 'Metadata.ConfigVersion' }],
  });
}
