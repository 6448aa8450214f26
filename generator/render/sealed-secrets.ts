// The app's sealed secrets in one profile: a Bitnami SealedSecret (strict scope) holding only
// ciphertext that `loco secrets set` sealed on the client, and the container's env entries that
// read the Secret the controller unseals from it. Values never pass through here.
//
// Format checked against bitnami-labs/sealed-secrets @ 86671a8 (2026-04-22):
// pkg/crypto/crypto.go HybridEncrypt, pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go
// EncryptionLabel (strict scope label = "<namespace>/<name>" of the SealedSecret itself, which
// Unseal reads from the object's own metadata) and NewSealedSecret (base64 StdEncoding values).

import { LocoError } from '../errors.ts';
import type { AppSpec } from '../config/spec.ts';
import { appLabels } from './labels.ts';

/** File in the profile's overlay that holds the SealedSecret. */
export const SEALED_SECRETS_FILE = 'sealedsecret.yaml';

/** Annotation on the SealedSecret: when each key was last set (ISO time), for `loco secrets list`. */
export const SET_AT_ANNOTATION = 'loco.dev/secrets-set-at';

/** Sealed values of one app/profile by env name: base64 ciphertext and when it was set. */
export type SealedValues = Record<string, { ciphertext: string; setAt: string }>;

/** Name of the Secret (and SealedSecret) holding the app's sealed values: one per app, never shared. */
export function sealedSecretName(app: string): string {
  return `${app}-sealed`;
}

/** The strict-scope OAEP label kubeseal and the controller use: "<namespace>/<name>". */
export function sealingLabel(namespace: string, app: string): string {
  return `${namespace}/${sealedSecretName(app)}`;
}

export const sortedKeys = (o: Record<string, unknown>) => Object.keys(o).sort();

export function sealedSecretObject(app: string, namespace: string, values: SealedValues): Record<string, unknown> {
  const name = sealedSecretName(app);
  const names = sortedKeys(values);
  const setAt = Object.fromEntries(names.map((n) => [n, values[n].setAt]));
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    // No scope annotation: strict is the controller's default, and the one the label above is for.
    metadata: { name, namespace, labels: appLabels(app), annotations: { [SET_AT_ANNOTATION]: JSON.stringify(setAt) } },
    spec: {
      encryptedData: Object.fromEntries(names.map((n) => [n, values[n].ciphertext])),
      // Kustomize's namespace does not reach into a custom resource's template: name it here.
      template: { metadata: { name, namespace, labels: appLabels(app) }, type: 'Opaque' },
    },
  };
}

/** `env:` entries reading each sealed value from the unsealed Secret. */
export function sealedEnv(spec: AppSpec, values: SealedValues): Array<Record<string, unknown>> {
  const name = sealedSecretName(spec.metadata.name);
  for (const key of sortedKeys(values)) {
    const clash = Object.hasOwn(spec.env.variables, key) ? 'Env.Variables' : Object.hasOwn(spec.env.secrets, key) ? 'Env.Secrets' : undefined;
    if (clash) {
      throw new LocoError('config.conflict', `${key} is both a sealed secret and in ${clash} of loco.toml`, `keep one: remove ${key} from ${clash}, or run loco secrets unset ${key}`);
    }
  }
  return sortedKeys(values).map((key) => ({ name: key, valueFrom: { secretKeyRef: { name, key } } }));
}
