// The sealed values of an app/profile as committed in its overlay, and what a `secrets` change
// (loco secrets set/unset) makes of them. Only ciphertext passes through here: the CLI seals
// each value with the cluster's certificate before it sends it.

import { SEALED_SECRETS_FILE, type SealedValues } from '../../generator/index.ts';
import { readSealedValues } from '../../generator/render/sealed-secrets-read.ts';
import type { GitopsStore } from '../gitops/index.ts';

export interface SecretsChange {
  /** Env name → base64 ciphertext (kubeseal's format, strict scope). */
  set: Record<string, string>;
  unset: string[];
}

export function sealedSecretsPath(app: string, profile: string): string {
  return `apps/${app}/overlays/${profile}/${SEALED_SECRETS_FILE}`;
}

/** The values sealed for app/profile at `commit` (none before the first `loco secrets set`). */
export async function sealedValuesAt(store: GitopsStore, slug: string, commit: string, app: string, profile: string): Promise<SealedValues> {
  const path = sealedSecretsPath(app, profile);
  return readSealedValues((await store.readFiles(slug, commit, path)).get(path));
}

/** Applies a change; `setAt` is when it was requested (the deployment's creation time). */
export function applySecretsChange(current: SealedValues, change: SecretsChange, setAt: string): SealedValues {
  const next: SealedValues = { ...current };
  for (const name of change.unset) delete next[name];
  for (const [name, ciphertext] of Object.entries(change.set)) next[name] = { ciphertext, setAt };
  return next;
}
