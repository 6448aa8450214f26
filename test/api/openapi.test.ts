// The OpenAPI document at /docs/json, as client generators and linters read it: valid OpenAPI
// (checked by @apidevtools/swagger-parser), and every operation has a unique operationId and a tag.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { GENERATED_FILE, renderClientTypes } from '../../api/client/openapi-types.ts';
import { call, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
let doc: Record<string, any>;
before(async () => {
  api = await startTestApi('pglite');
  const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(res.statusCode, 200);
  doc = res.json();
});
after(async () => api?.close());

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).filter(([m]) => METHODS.includes(m)).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
  );

test('the OpenAPI document passes a real OpenAPI validator', async () => {
  assert.match(doc.openapi, /^3\.0\./);
  await SwaggerParser.validate(structuredClone(doc) as never);
});

test('every operation has an operationId, unique, and at least one tag', () => {
  const ops = operations();
  assert.ok(ops.length > 30, `only ${ops.length} operations`);
  const ids = new Map<string, string>();
  for (const { where, op } of ops) {
    assert.equal(typeof op.operationId, 'string', `${where} has no operationId`);
    assert.ok(!ids.has(op.operationId), `${where} and ${ids.get(op.operationId)} share operationId ${op.operationId}`);
    ids.set(op.operationId, where);
    assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${where} has no tag`);
  }
  // A route's own id and tag win over the derived ones.
  assert.equal(ops.find((o) => o.where.endsWith('/dora'))?.op.operationId, 'getDora');
});

test('keywords OpenAPI 3.0 lacks leave the document, not the API: a bad env name in a PATCH is still refused', async () => {
  assert.doesNotMatch(JSON.stringify(doc), /propertyNames/);
  const res = await call(api.app, api.adminToken, 'PATCH', '/orgs/default/workspaces/default/apps/api/env?profile=dev', { set: { '1-BAD': 'x' } });
  assert.equal(res.statusCode, 400, res.body);
});

test('the committed client types (api/client/openapi.gen.ts) are what the document generates: run `npm run generate:client` after changing a route', async () => {
  const fresh = await renderClientTypes(doc);
  assert.ok(readFileSync(GENERATED_FILE, 'utf8') === fresh, 'api/client/openapi.gen.ts is stale: run `npm run generate:client` and commit the result');
  assert.match(fresh, /"\/api\/v1\/orgs\/\{org\}\/workspaces\/\{ws\}\/apps\/\{app\}\/deployments"/);
});
