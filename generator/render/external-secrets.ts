// [Env.Secrets] entries that name a platform secret store (`{ Store = "aws-ssm", Key = "…" }`):
// one ExternalSecret (external-secrets.io/v1, the schema ../shared/schemas holds besides the
// deprecated v1beta1) per store, against the ClusterSecretStore of that name. External Secrets
// Operator writes the values into a Secret of the app's own namespace; git holds keys only.

import { LocoError } from '../errors.ts';
import type { AppSpec, ExternalSecretRef } from '../config/spec.ts';
import { appLabels } from './labels.ts';

/** Name of the ExternalSecret of one store, and of the Secret it makes: one per app and store, never shared. */
export function externalSecretName(app: string, store: string): string {
  return `${app}-store-${store}`;
}

/** The external references of the spec by store, names sorted; each store checked against the platform's. */
export function externalRefsByStore(spec: AppSpec, stores: readonly string[] | undefined): Map<string, Array<[string, ExternalSecretRef]>> {
  const byStore = new Map<string, Array<[string, ExternalSecretRef]>>();
  for (const name of Object.keys(spec.env.secrets).sort()) {
    const source = spec.env.secrets[name];
    if (typeof source === 'string') continue;
    if (!stores?.length) {
      throw new LocoError('config.no-secret-stores', `Env.Secrets.${name} names the secret store "${source.store}", but this platform has no secret stores`,
        'ask the platform operator to list its ClusterSecretStores in LOCO_SECRET_STORES (e.g. aws-ssm,vault), or use a Kubernetes Secret: NAME = "<secret>/<key>", or loco secrets set');
    }
    if (!stores.includes(source.store)) {
      throw new LocoError('config.unknown-secret-store', `Env.Secrets.${name}: "${source.store}" is not a secret store of this platform`, `use one of: ${stores.join(', ')}`);
    }
    byStore.set(source.store, [...(byStore.get(source.store) ?? []), [name, source]]);
  }
  return new Map([...byStore].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function externalSecretObject(app: string, store: string, refs: Array<[string, ExternalSecretRef]>): Record<string, unknown> {
  const name = externalSecretName(app, store);
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, labels: appLabels(app) },
    spec: {
      // How often the operator reads the store again: a rotated value reaches new pods within the hour.
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: store },
      target: { name, creationPolicy: 'Owner' },
      data: refs.map(([key, ref]) => ({ secretKey: key, remoteRef: { key: ref.key, ...(ref.property ? { property: ref.property } : {}) } })),
    },
  };
}
