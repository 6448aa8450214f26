// Promotion rules of a workspace, read from its settings (workspaces.settings JSON):
//   { "profiles": { "prod": { "approvals": 1 } }, "emergencyRollback": true }
// Without a rule, profiles named prod or production need one approval and others none.

export interface PromotionRules {
  /** Approvals a change to `profile` needs before it may be merged. */
  approvalsFor(profile: string): number;
  /** A protected profile changes only through a reviewed pull request. */
  isProtected(profile: string): boolean;
  /** Rollbacks of protected profiles may be committed directly (recorded as emergencies). */
  allowsEmergencyRollback: boolean;
}

const DEFAULT_PROTECTED = new Set(['prod', 'production']);

export function promotionRules(settings: Record<string, unknown> | null | undefined): PromotionRules {
  const profiles = (settings?.profiles ?? {}) as Record<string, { approvals?: unknown } | undefined>;
  const approvalsFor = (profile: string): number => {
    const configured = profiles[profile]?.approvals;
    if (typeof configured === 'number' && Number.isInteger(configured) && configured >= 0) return configured;
    return DEFAULT_PROTECTED.has(profile) ? 1 : 0;
  };
  return {
    approvalsFor,
    isProtected: (profile) => approvalsFor(profile) > 0,
    allowsEmergencyRollback: settings?.emergencyRollback === true,
  };
}
