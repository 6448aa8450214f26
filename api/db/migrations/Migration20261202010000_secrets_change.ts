// Sealed secrets (issue 14): `loco secrets set/unset` is a change of its own kind, one commit
// tracked as a deployment like env and scale. The initial table's inline check names the kinds.

import { Migration } from '@mikro-orm/migrations';

export class Migration20261202010000_secrets_change extends Migration {
  override name = 'Migration20261202010000_secrets_change';

  override up(): void {
    this.addSql(`alter table deployments drop constraint if exists deployments_change_type_check`);
    this.addSql(`alter table deployments add constraint deployments_change_type_check check (change_type in ('deploy', 'scale', 'env', 'rollback', 'promote', 'delete', 'secrets'))`);
  }
}
