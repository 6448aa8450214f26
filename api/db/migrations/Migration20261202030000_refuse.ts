// loco_refuse(reason): raises an error carrying `reason`, so one statement can refuse what it was
// about to write (a deploy's route claim taken elsewhere) and PostgreSQL undoes the whole
// statement — no transaction (begin, commit: two more round trips) needed around it.
// api/deployments/create.ts reads the reason back from the error's detail (REFUSED_SQLSTATE).

import { Migration } from '@mikro-orm/migrations';

export class Migration20261202030000_refuse extends Migration {
  override name = 'Migration20261202030000_refuse';

  override up(): void {
    this.addSql(`create or replace function loco_refuse(reason jsonb) returns boolean language plpgsql as $$
      begin
        raise exception using errcode = 'LC409', message = 'refused by the statement', detail = reason::text;
      end $$`);
  }
}
