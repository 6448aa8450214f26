import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSqlLiterals } from '../../api/redact-sql.ts';

test("a traced query shows the statement's shape, never the values MikroORM inlined", () => {
  assert.equal(
    redactSqlLiterals(`update api_tokens set last_used_at = '2026-12-02T07:39:18.431Z' where id = 'tok_01M8' and hash = 'ab''cd'`),
    'update api_tokens set last_used_at = ? where id = ? and hash = ?',
  );
  assert.equal(redactSqlLiterals(`insert into users (name, email) values ('ann', E'a\\'b\\\\')`), 'insert into users (name, email) values (?, ?)');
  // identifiers, numbers and keywords stay; an identifier ending in e is not an E'…' prefix
  assert.equal(redactSqlLiterals(`select "a0".* from "apps" as "a0" where type='x' limit 1`), 'select "a0".* from "apps" as "a0" where type=? limit 1');
});
