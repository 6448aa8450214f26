// The history index (issue 17): main's first-parent commits with their trailers, one row each,
// so GET history is an indexed query instead of a walk through git. Filled only from git
// (api/history/history-index.ts); `seq` counts from the root commit (1) so rows keep git's order.

import { Migration } from '@mikro-orm/migrations';

export class Migration20261202020000_history_index extends Migration {
  override name = 'Migration20261202020000_history_index';

  override up(): void {
    this.addSql(`create table if not exists history_index (
      workspace_id text not null references workspaces(id) on delete cascade,
      seq integer not null,
      commit text not null,
      parents jsonb not null,
      time_ms bigint not null,
      subject text not null,
      author_name text not null,
      author_email text not null,
      app text,
      profile text,
      actor text,
      trailers jsonb not null,
      primary key (workspace_id, seq),
      unique (workspace_id, commit))`);
    // one app's history, newest first: the query `loco history <app>` makes
    this.addSql(`create index if not exists history_index_app on history_index (workspace_id, app, seq desc)`);
  }
}
