// The Temporal web UI of the dev server shows a transfer's workflow decoded for a staff member signed
// in to the web app, through the API's codec and the bank_codec cookie the sign-in set, and
// encrypted for a browser that has not signed in. The UI runs with the settings it has under make
// dev, and nothing is set in the browser: the dev stack's proxy in front of the UI has the UI's
// codec include cross-origin credentials.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, baseURL, close, eventually, launch, login, newPage, shotsDir, unique } from './harness.mjs';

const uiURL = process.env.TEMPORAL_UI_URL;
const codecURL = process.env.CODEC_URL;
const admin = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };
// The web app at the codec's host name: a cookie belongs to the host it was set for, and the UI
// calls the codec at codecURL.
const webURL = codecURL ? new URL('/', codecURL).origin : baseURL;
// "binary/encrypted", the encoding of every payload the bank hands to Temporal, in base64.
const encrypted = 'YmluYXJ5L2VuY3J5cHRlZA';
const skip = !uiURL || !codecURL ? 'the Temporal UI is not running (TEMPORAL_UI_URL, CODEC_URL)' : false;

before(async () => {
  if (!skip) await launch();
});
after(close);

// deposit registers a customer, has the admin deposit into their account, and returns the
// account's number and the deposit's workflow id once it completed.
async function deposit() {
  const email = `${unique('ui')}@example.com`;
  const password = `a-Long-passphrase-${unique('p')}`;
  const op = await api('POST', '/v1/auth/register', { body: { email, password, full_name: 'Inés Temporal' } });
  const done = await api('GET', `/v1/operations/${op.id}?wait=20s`);
  assert.equal(done.status, 'completed');
  const { items } = await api('GET', '/v1/accounts', { token: await login(email, password) });
  const account = items[0];
  const adminToken = await login(admin.email, admin.password);
  const transfer = await api('POST', `/v1/admin/accounts/${account.id}/deposits`, {
    token: adminToken,
    headers: { 'Idempotency-Key': unique('deposit') },
    body: { amount: '12.34', currency: 'USD', description: 'for the Temporal UI' },
  });
  const ended = await api('GET', `/v1/transfers/${transfer.id}?wait=20s`, { token: adminToken });
  assert.equal(ended.status, 'completed');
  return { number: account.number, workflowID: `transfer-${transfer.id}` };
}

// openWorkflow opens the workflow in the Temporal UI, with the UI's own codec settings (no
// override in the browser), and returns its Input and Results once they show payloads.
async function openWorkflow(page, workflowID) {
  await page.goto(`${uiURL}/namespaces/default/workflows/${encodeURIComponent(workflowID)}`);
  const panel = page.getByTestId('input-and-result');
  await panel.first().waitFor({ timeout: 60_000 });
  return panel.first();
}

test('a signed-in admin reads a transfer decoded in the Temporal UI', { skip, timeout: 180_000 }, async () => {
  const { number, workflowID } = await deposit();

  const page = await newPage('temporal-ui-admin');
  await page.goto(`${webURL}/sign-in`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  const cookie = (await page.context().cookies(codecURL)).find((c) => c.name === 'bank_codec');
  assert.ok(cookie, 'the sign-in set no bank_codec cookie');
  assert.equal(cookie.path, '/codec');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');

  const ui = await page.context().newPage();
  const panel = await openWorkflow(ui, workflowID);
  await eventually(async () => assert.match(await panel.innerText(), new RegExp(number)), 60_000);
  assert.doesNotMatch(await panel.innerText(), new RegExp(encrypted));
  await ui.screenshot({ path: path.join(shotsDir, 'temporal-ui-decoded.png') });
});

test('a browser that has not signed in sees the transfer encrypted', { skip, timeout: 180_000 }, async () => {
  const { number, workflowID } = await deposit();
  const page = await newPage('temporal-ui-anonymous');
  const panel = await openWorkflow(page, workflowID);
  await eventually(async () => assert.match(await panel.innerText(), new RegExp(encrypted)), 60_000);
  assert.doesNotMatch(await panel.innerText(), new RegExp(number));
});
