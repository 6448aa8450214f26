// Invitations over the API, with the API's clock moved by hand: adding a user who cannot log in
// yields a code (shown once) that redeems once, before it expires, for their first token.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../argocd/manual-clock.ts';
import { call, startTestApi, userWithToken, type TestApi } from './helpers.ts';

const DAY = 86_400_000;
const W = '/orgs/default/workspaces/default';

describe('invitations', () => {
  let api: TestApi;
  const clock = new ManualClock(Date.parse('2026-03-01T09:00:00Z'));

  before(async () => {
    api = await startTestApi('pglite', { clock });
  });
  after(async () => api?.close());

  const redeem = (code: string) => call(api.app, null, 'POST', '/auth/invitations/redeem', { code });

  test('adding a new user yields a code that expires in 7 days; redeeming it gives their first 90-day token', async () => {
    const added = await call(api.app, api.adminToken, 'POST', `${W}/members`, { user: 'bob', role: 'deploy' });
    assert.equal(added.statusCode, 201, added.body);
    const { invitation } = added.json();
    assert.match(invitation.code, /^loco_inv_/);
    assert.equal(invitation.expiresAt, new Date(clock.now() + 7 * DAY).toISOString());
    const members = await call(api.app, api.adminToken, 'GET', `${W}/members`);
    assert.ok(!members.body.includes(invitation.code), 'the code is shown once');

    const res = await redeem(invitation.code);
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.deepEqual({ ...body, token: undefined }, { token: undefined, expiresAt: new Date(clock.now() + 90 * DAY).toISOString(), user: 'bob', org: 'default', workspace: 'default', role: 'deploy' });
    const me = (await call(api.app, body.token, 'GET', '/me')).json();
    assert.equal(me.user.name, 'bob');
    assert.deepEqual(me.memberships, [{ org: 'default', workspace: 'default', role: 'deploy' }]);
    assert.equal(me.token.name, 'invitation to default/default');

    const twice = await redeem(invitation.code);
    assert.equal(twice.statusCode, 401);
    assert.equal(twice.json().code, 'auth.invitation-used');
    assert.equal(twice.json().detail, `this invitation code was already used, at ${new Date(clock.now()).toISOString()}; a code works once`);
    assert.match(twice.json().hint, /loco members invite/);
  });

  test('a code used after it expired is refused, naming when', async () => {
    const added = (await call(api.app, api.adminToken, 'POST', `${W}/members`, { user: 'carol', role: 'read' })).json();
    clock.advance(7 * DAY);
    const res = await redeem(added.invitation.code);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'auth.invitation-expired');
    assert.equal(res.json().detail, `this invitation code expired at ${added.invitation.expiresAt}`);
    assert.match(res.json().hint, /ask a workspace admin for a new code \(loco members invite <user>\)/);

    const fresh = await call(api.app, api.adminToken, 'POST', `${W}/invitations`, { user: 'carol', expiresInSeconds: 3600 });
    assert.equal(fresh.statusCode, 201, fresh.body);
    assert.equal(fresh.json().role, 'read', 'a member keeps their role');
    assert.equal(fresh.json().invitation.expiresAt, new Date(clock.now() + 3600_000).toISOString());
    assert.equal((await redeem(fresh.json().invitation.code)).statusCode, 201);
  });

  test('a code nobody issued is refused; so is a second redeemer racing the first', async () => {
    const unknown = await redeem('loco_inv_nosuchcode');
    assert.equal(unknown.statusCode, 401);
    assert.equal(unknown.json().code, 'auth.invalid-invitation');
    const { invitation } = (await call(api.app, api.adminToken, 'POST', `${W}/invitations`, { user: 'dana' })).json();
    const answers = await Promise.all([redeem(invitation.code), redeem(invitation.code)]);
    assert.deepEqual(answers.map((a) => a.statusCode).sort(), [201, 401]);
  });

  test('a user who can already log in gets no code from members add; only admins invite', async () => {
    const erin = await userWithToken(api.app, 'erin');
    const added = await call(api.app, api.adminToken, 'POST', `${W}/members`, { user: 'erin', role: 'read' });
    assert.equal(added.statusCode, 201);
    assert.equal(added.json().invitation, undefined);
    const refused = await call(api.app, erin, 'POST', `${W}/invitations`, { user: 'mallory' });
    assert.equal(refused.statusCode, 403);
  });
});
