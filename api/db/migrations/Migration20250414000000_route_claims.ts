// Hostnames owned (issue 14): which workspace a host belongs to, which app/profile holds each
// (host, protocol, path prefix) on it, and the custom domains a workspace has proved it controls.
// The unique keys decide races between deploys: two transactions inserting the same host or the
// same route cannot both commit.

import { Migration } from '@mikro-orm/migrations';

export class Migration20250414000000_route_claims extends Migration {
  override name = 'Migration20250414000000_route_claims';

  override up(): void {
    // one row per host: the workspace that serves it (the first to deploy a route on it)
    this.addSql(`create table if not exists route_hosts (
      host text primary key,
      workspace_id text not null references workspaces(id) on delete cascade,
      created_at timestamptz not null default now())`);
    this.addSql(`create index if not exists route_hosts_workspace_idx on route_hosts (workspace_id)`);

    this.addSql(`create table if not exists route_claims (
      id text primary key,
      host text not null,
      protocol text not null check (protocol in ('http', 'grpc')),
      path_prefix text not null,
      workspace_id text not null references workspaces(id) on delete cascade,
      app_id text not null references apps(id) on delete cascade,
      app text not null,
      profile text not null,
      created_at timestamptz not null default now(),
      unique (host, protocol, path_prefix))`);
    // a deploy replaces its app/profile's claims; audit verify lists a workspace's
    this.addSql(`create index if not exists route_claims_app_idx on route_claims (workspace_id, app_id, profile)`);

    this.addSql(`create table if not exists custom_domains (
      id text primary key,
      workspace_id text not null references workspaces(id) on delete cascade,
      domain text not null,
      token text not null,
      verified_at timestamptz,
      created_at timestamptz not null default now(),
      unique (workspace_id, domain))`);
    // a domain is verified for one workspace at most (several may hold a pending challenge)
    this.addSql(`create unique index if not exists custom_domains_verified_idx on custom_domains (domain) where verified_at is not null`);
  }
}
