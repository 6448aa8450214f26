// Loco's Argo CD part: client, outcome rules and tracker (see api/argocd/README.md).
export { createArgoCdClient, argoCdSettingsFromEnv, type ArgoCdClient, type ArgoCdClientOptions } from './client.ts';
export { classifyOutcome, DEFAULTS as OUTCOME_DEFAULTS, type Classification, type ClassifyContext, type DeploymentState } from './classify.ts';
export { CAUSE_RULES, findCause, type CauseCode, type FailureReason } from './causes.ts';
export { trackDeployment, getAppStatus, getLogs, type TrackRequest, type TrackEvent, type TrackOutcome, type TrackOptions, type AppStatus, type LogLine } from './tracker.ts';
export { systemClock, type Clock } from './clock.ts';
export type { Application, ApplicationTree } from './types.ts';
