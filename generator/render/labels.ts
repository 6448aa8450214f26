// Labels every rendered object carries. The selector uses only the app name: it is immutable
// on a Deployment, so it must never depend on a profile or release.

export function selectorLabels(app: string): Record<string, string> {
  return { 'app.kubernetes.io/name': app };
}

export function appLabels(app: string): Record<string, string> {
  return { 'app.kubernetes.io/name': app, 'app.kubernetes.io/managed-by': 'loco' };
}

export function metadata(app: string, name = app): { name: string; labels: Record<string, string> } {
  return { name, labels: appLabels(app) };
}

/** Label on each namespace naming its workspace; the NetworkPolicy admits the workspace by it. */
export const WORKSPACE_LABEL = 'loco.dev/workspace';
