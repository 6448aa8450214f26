// Promotions as pull requests held in the database (issue 7): the title and body a reviewer
// reads, the branch head that was reviewed, every approval (a profile may need several), and
// whether the pull request promotes a release or rolls a protected profile back.

import { Migration } from '@mikro-orm/migrations';

export class Migration20250301000000_promotion_review extends Migration {
  override name = 'Migration20250301000000_promotion_review';

  override up(): void {
    this.addSql(`alter table promotions add column if not exists kind text not null default 'promote' check (kind in ('promote', 'rollback'))`);
    this.addSql(`alter table promotions add column if not exists title text not null default ''`);
    this.addSql(`alter table promotions add column if not exists body text not null default ''`);
    this.addSql(`alter table promotions add column if not exists head_commit text`);
    this.addSql(`alter table promotions add column if not exists approvals jsonb not null default '[]'`);
    this.addSql(`alter table promotions add column if not exists superseded_by text`);
    this.addSql(`alter table promotions add column if not exists closed_by_user_id text references users(id)`);
  }
}
