// Tokens a second user can get (issue 12): personal tokens expire and can be revoked, each
// token records when it was last used, deploy tokens are scoped to one profile of one app, and
// an invitation code (stored hashed, single use, expiring) gives an invited user their first token.

import { Migration } from '@mikro-orm/migrations';

export class Migration20261202000000_tokens_invitations extends Migration {
  override name = 'Migration20261202000000_tokens_invitations';

  override up(): void {
    this.addSql(`alter table api_tokens add column if not exists profile text`);
    this.addSql(`alter table api_tokens add column if not exists last_used_at timestamptz`);
    this.addSql(`alter table api_tokens add column if not exists revoked_at timestamptz`);
    this.addSql(`create index if not exists api_tokens_user_idx on api_tokens (user_id)`);
    this.addSql(`create table if not exists invitations (
      id text primary key,
      workspace_id text not null references workspaces(id) on delete cascade,
      user_id text not null references users(id) on delete cascade,
      role text not null,
      hash text not null unique,
      invited_by_user_id text not null references users(id) on delete cascade,
      expires_at timestamptz not null,
      redeemed_at timestamptz,
      created_at timestamptz not null default now())`); // redeem: lookup by hash
  }
}
