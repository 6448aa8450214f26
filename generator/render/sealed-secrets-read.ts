// The sealed values an overlay's committed SealedSecret holds, read back for the next change.
// Apart from sealed-secrets.ts because it parses YAML: only the API reads committed files, and
// `loco render` should not load a YAML parser it never uses.

import { parse } from 'yaml';
import { SET_AT_ANNOTATION, sortedKeys, type SealedValues } from './sealed-secrets.ts';

/** Reads the sealed values back from the overlay's file (as committed by an earlier change). */
export function readSealedValues(text: string | undefined): SealedValues {
  if (text === undefined) return {};
  const doc = parse(text) as { metadata?: { annotations?: Record<string, string> }; spec?: { encryptedData?: Record<string, string> } } | null;
  const data = doc?.spec?.encryptedData ?? {};
  let setAt: Record<string, string> = {};
  try {
    setAt = JSON.parse(doc?.metadata?.annotations?.[SET_AT_ANNOTATION] ?? '{}') as Record<string, string>;
  } catch {
    // a hand-edited annotation only loses the times, never the values
  }
  return Object.fromEntries(sortedKeys(data).map((n) => [n, { ciphertext: String(data[n]), setAt: String(setAt[n] ?? '') }]));
}
