// The release records DORA figures are computed from, read from the deployments table (which
// `admin rebuild-from-git` refills from the commits' trailers and outcome notes).

import type { EntityManager } from '@mikro-orm/postgresql';
import type { ReleaseRecord } from './compute.ts';

export async function releaseRecords(em: EntityManager, workspaceId: string | null, since: Date): Promise<(ReleaseRecord & { workspace: string })[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select o.name || '/' || w.name as workspace, d.app, d.profile, d.change_type, d.status, d.reason, d.commit, d.created_at, d.finished_at
       from deployments d join workspaces w on w.id = d.workspace_id join orgs o on o.id = w.org_id
      where (?::text is null or d.workspace_id = ?) and (d.created_at >= ? or d.finished_at >= ?)
      order by d.created_at`,
    [workspaceId, workspaceId, since, since],
  );
  return rows.map((r) => ({
    workspace: String(r.workspace),
    app: String(r.app),
    profile: String(r.profile),
    changeType: String(r.change_type),
    status: String(r.status),
    reason: (r.reason as string | null) ?? null,
    commit: (r.commit as string | null) ?? null,
    requestedAt: new Date(r.created_at as string),
    finishedAt: r.finished_at ? new Date(r.finished_at as string) : null,
  }));
}
