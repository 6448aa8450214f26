// The initial schema. Written by hand (not generated) so that every index names the request
// that reads through it. IF NOT EXISTS keeps it harmless if a half-applied run is repeated.

import { Migration } from '@mikro-orm/migrations';

export class Migration20250101000000_initial extends Migration {
  override name = 'Migration20250101000000_initial';

  override up(): void {
    this.addSql(`create table if not exists orgs (
      id text primary key,
      name text not null unique,
      created_at timestamptz not null default now())`);

    this.addSql(`create table if not exists workspaces (
      id text primary key,
      org_id text not null references orgs(id) on delete cascade,
      name text not null,
      slug text not null unique,
      settings jsonb not null default '{}',
      created_at timestamptz not null default now(),
      unique (org_id, name))`); // GET /orgs/:org/workspaces[/:ws]

    this.addSql(`create table if not exists users (
      id text primary key,
      name text not null unique,
      email text,
      github_id text unique,
      created_at timestamptz not null default now())`);

    this.addSql(`create table if not exists org_memberships (
      id text primary key,
      org_id text not null references orgs(id) on delete cascade,
      user_id text not null references users(id) on delete cascade,
      role text not null check (role in ('admin', 'member')),
      created_at timestamptz not null default now(),
      unique (org_id, user_id))`);
    // GET /me and GET /orgs list a user's memberships
    this.addSql(`create index if not exists org_memberships_user_idx on org_memberships (user_id)`);

    this.addSql(`create table if not exists workspace_memberships (
      id text primary key,
      workspace_id text not null references workspaces(id) on delete cascade,
      user_id text not null references users(id) on delete cascade,
      role text not null check (role in ('admin', 'deploy', 'read')),
      created_at timestamptz not null default now(),
      unique (workspace_id, user_id))`); // every workspace route checks (workspace, user)
    this.addSql(`create index if not exists workspace_memberships_user_idx on workspace_memberships (user_id)`);

    this.addSql(`create table if not exists apps (
      id text primary key,
      workspace_id text not null references workspaces(id) on delete cascade,
      name text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (workspace_id, name))`);

    this.addSql(`create table if not exists deployments (
      id text primary key,
      workspace_id text not null references workspaces(id) on delete cascade,
      app_id text not null references apps(id) on delete cascade,
      app text not null,
      profile text not null,
      change_type text not null check (change_type in ('deploy', 'scale', 'env', 'rollback', 'promote', 'delete')),
      change jsonb,
      image text not null,
      config_text text not null,
      env_file text,
      config_digest text not null,
      idempotency_key text,
      request_hash text,
      status text not null check (status in ('pending', 'committed', 'syncing', 'progressing', 'succeeded', 'failed')),
      reason text,
      message text,
      next_step text,
      commit text,
      actor text not null,
      actor_user_id text not null references users(id),
      confirm_prune boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz,
      lease_owner text,
      lease_expires_at timestamptz,
      last_event_seq integer not null default 0)`);
    // deployment list of an app, latest per app/profile (status, supersede), history join by id
    this.addSql(`create index if not exists deployments_app_profile_idx on deployments (app_id, profile, created_at desc)`);
    this.addSql(`create index if not exists deployments_workspace_idx on deployments (workspace_id, created_at desc)`);
    // idempotent POST: same key in the same workspace is the same deployment
    this.addSql(`create unique index if not exists deployments_idempotency_idx on deployments (workspace_id, idempotency_key) where idempotency_key is not null`);
    // the runner's scan for deployments nobody is carrying forward
    this.addSql(`create index if not exists deployments_unfinished_idx on deployments (lease_expires_at) where finished_at is null`);
    this.addSql(`create index if not exists deployments_commit_idx on deployments (workspace_id, commit)`);

    this.addSql(`create table if not exists events (
      id bigserial primary key,
      deployment_id text not null references deployments(id) on delete cascade,
      seq integer not null,
      time timestamptz not null default now(),
      type text not null,
      message text not null,
      data jsonb,
      unique (deployment_id, seq))`); // events after Last-Event-ID

    this.addSql(`create table if not exists promotions (
      id text primary key,
      workspace_id text not null references workspaces(id) on delete cascade,
      app_id text not null references apps(id) on delete cascade,
      app text not null,
      source_deployment_id text not null references deployments(id),
      from_profile text not null,
      to_profile text not null,
      branch text not null,
      pr_number integer,
      pr_url text,
      status text not null check (status in ('open', 'approved', 'merged', 'closed', 'superseded')),
      author_user_id text not null references users(id),
      approver_user_id text references users(id),
      deployment_id text references deployments(id),
      merge_commit text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now())`);
    this.addSql(`create index if not exists promotions_app_target_idx on promotions (app_id, to_profile, status)`);
    this.addSql(`create index if not exists promotions_workspace_idx on promotions (workspace_id, created_at desc)`);
    this.addSql(`create index if not exists promotions_pr_idx on promotions (workspace_id, pr_number)`);

    this.addSql(`create table if not exists api_tokens (
      id text primary key,
      user_id text not null references users(id) on delete cascade,
      name text not null,
      kind text not null check (kind in ('personal', 'deploy')),
      hash text not null unique,
      workspace_id text references workspaces(id) on delete cascade,
      app text,
      expires_at timestamptz,
      created_at timestamptz not null default now())`); // every request: lookup by hash
  }
}
