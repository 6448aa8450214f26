// Every route claim stands on its host's row, of its own workspace (a foreign key). Without it,
// a deploy that left a host (deleting the host row, since in its snapshot no other claim was on
// it) and a deploy of another app of the workspace taking a route on that host at the same moment
// could both commit: the claim stayed, the host row was gone, and another workspace could then
// take the host on another path prefix — its traffic next to ours. With the key, the leaving
// deploy's statement fails (23503) and is run again (retryClaimRaces in routing/claims.ts),
// and then sees the new claim.
//
// Claims already without their host row get it back, for the workspace that claimed first; a
// claim of any other workspace on such a host is the breach itself and is removed.

import { Migration } from '@mikro-orm/migrations';

/** The statements, in order (exported so a test runs them on a database that has the breach). */
export const CLAIM_HOST_KEY: string[] = [
  `insert into route_hosts (host, workspace_id)
    select distinct on (host) host, workspace_id from route_claims c
     where not exists (select 1 from route_hosts h where h.host = c.host)
     order by host, created_at, id
    on conflict (host) do nothing`,
  `delete from route_claims c where not exists (select 1 from route_hosts h where h.host = c.host and h.workspace_id = c.workspace_id)`,
  `alter table route_hosts add constraint route_hosts_host_workspace_key unique (host, workspace_id)`,
  `alter table route_claims add constraint route_claims_host_fkey foreign key (host, workspace_id) references route_hosts (host, workspace_id)`,
];

export class Migration20261203000000_claim_host_fk extends Migration {
  override name = 'Migration20261203000000_claim_host_fk';

  override up(): void {
    for (const statement of CLAIM_HOST_KEY) this.addSql(statement);
  }
}
