// What the platform tells the renderer about the cluster (API settings, or the CLI's
// environment for offline renders): plain data, so rendering stays pure.

export interface PlatformFacts {
  /** ClusterSecretStores apps may name in [Env.Secrets] (LOCO_SECRET_STORES). */
  secretStores?: string[];
  /** The cluster's CNI (LOCO_CNI); "cilium" enables host names in Network.Egress. */
  cni?: string;
}

/** The facts from LOCO_SECRET_STORES and LOCO_CNI. */
export function platformFactsFromEnv(env: Record<string, string | undefined>): PlatformFacts {
  const stores = (env.LOCO_SECRET_STORES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const cni = env.LOCO_CNI?.trim().toLowerCase();
  return { ...(stores.length ? { secretStores: stores } : {}), ...(cni ? { cni } : {}) };
}
