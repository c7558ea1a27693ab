// The bank in a real browser: customers sign up, receive a deposit, send money and watch it arrive
// and their account frozen without a reload; staff run the console; support sees it read-only; both
// languages render; every main page passes an accessibility scan and is photographed at desktop and
// phone width; the API reference at /docs renders the contract.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { close, eventually, launch, newPage, problemsSeen, scan, shoot, unique } from './harness.mjs';

const admin = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };
const support = { email: process.env.SUPPORT_EMAIL, password: process.env.SUPPORT_PASSWORD };

before(launch);
after(close);

// signUp registers a customer through the sign-up page and leaves them on their accounts page.
async function signUp(page, { name, spanish }) {
  const email = `${unique('web')}@example.com`;
  const password = `a-Long-passphrase-${unique('p')}`;
  await page.goto('/sign-up');
  await page.getByLabel(spanish ? 'Nombre completo' : 'Full name').fill(name);
  await page.getByLabel(spanish ? 'Correo electrónico' : 'Email').fill(email);
  await page.getByLabel(spanish ? 'Nueva contraseña' : 'New password').fill(password);
  await page.getByRole('button', { name: spanish ? 'Abrir mi cuenta' : 'Open my account' }).click();
  await page.getByRole('heading', { level: 1, name: spanish ? 'Tus cuentas' : 'Your accounts' }).waitFor();
  const number = await page.locator('[data-account-number]').first().getAttribute('data-account-number');
  assert.match(number, /^\d{12}$/);
  return { email, password, number };
}

// openStaffAccount opens an account's page in the staff console by its number.
async function openStaffAccount(page, number) {
  await page.goto('/staff/users');
  await page.getByLabel('Account number').fill(number);
  await page.getByRole('button', { name: 'Open account' }).click();
  await page.getByRole('heading', { level: 1, name: `Account ${number.replace(/(\d{3})(?=\d)/g, '$1 ')}` }).waitFor();
}

// balanceText is the balance an account page or card shows.
const balanceText = (page) => page.getByTestId('balance').first().innerText();

test('the accessibility scan finds what it is for', async () => {
  // A negative control: an unlabelled input and an image without text must be reported.
  const page = await newPage('control');
  await page.setContent('<html lang="en"><title>x</title><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input></main></html>');
  const found = (await scan(page)).join('\n');
  assert.match(found, /image-alt/);
  assert.match(found, /label/);
  await page.close();
});

describe('customers and staff', () => {
  let ana, ben, anaPage, benPage, adminPage, supportPage, transferPath;

  test('a customer signs up in Spanish and sees the registration through', async () => {
    anaPage = await newPage('ana', { locale: 'es-ES' });
    ana = await signUp(anaPage, { name: 'Ana Pérez', spanish: true });
    assert.equal(await anaPage.locator('html').getAttribute('lang'), 'es');
    assert.match(await balanceText(anaPage), /^0,00\sUS\$$/);
  });

  test('a second customer signs up in English and keeps their account page open', async () => {
    benPage = await newPage('ben', { locale: 'en-GB' });
    ben = await signUp(benPage, { name: 'Ben Carter', spanish: false });
    await benPage.getByRole('link', { name: `Account ${ben.number}` }).click();
    await benPage.getByRole('heading', { level: 1, name: /^Account / }).waitFor();
    assert.match(await balanceText(benPage), /^\$0\.00$/);
    // A marker that a reload would wipe: the page must change without one.
    await benPage.evaluate(() => {
      window.__noReload = true;
    });
  });

  test('an admin signs in to the console and deposits money; the customer sees it arrive', async () => {
    adminPage = await newPage('admin', { locale: 'en-US' });
    await adminPage.goto('/sign-in');
    await adminPage.getByLabel('Email').fill(admin.email);
    await adminPage.getByLabel('Password').fill(admin.password);
    await adminPage.getByRole('button', { name: 'Sign in' }).click();
    await adminPage.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await openStaffAccount(adminPage, ana.number);
    await adminPage.getByRole('button', { name: 'Deposit cash' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Deposit cash' });
    await dialog.getByLabel('Amount (USD)').fill('100.00');
    await dialog.getByRole('button', { name: 'Deposit', exact: true }).click();
    await adminPage.getByText('Deposit of $100.00 accepted').waitFor();
    await eventually(async () => assert.match(await balanceText(anaPage), /^100,00\sUS\$$/));
  });

  test('a customer sends money and the recipient\'s open page shows it without a reload', async () => {
    await anaPage.getByRole('link', { name: 'Enviar dinero' }).first().click();
    await anaPage.getByLabel('Número de cuenta de destino').fill(ben.number);
    await anaPage.getByLabel('Importe (USD)').fill('25,50');
    await anaPage.getByLabel('Concepto (opcional)').fill('Cena');
    await anaPage.getByRole('button', { name: 'Revisar' }).click();
    assert.match(await anaPage.getByTestId('review-amount').innerText(), /^25,50\sUS\$$/);
    await anaPage.getByRole('button', { name: 'Enviar ahora' }).click();
    await eventually(async () => assert.equal(await anaPage.getByTestId('transfer-status').innerText(), 'Completada'));
    transferPath = new URL(anaPage.url()).pathname;
    await eventually(async () => assert.match(await balanceText(benPage), /^\$25\.50$/));
    // The unread badge counts the payment's notification as it arrives.
    await eventually(async () => assert.ok(Number(await benPage.getByTestId('unread-count').innerText()) >= 2));
    assert.equal(await benPage.evaluate(() => window.__noReload), true);
  });

  test('an admin freezes the account and the customer\'s page shows it frozen', async () => {
    await openStaffAccount(adminPage, ben.number);
    await adminPage.getByRole('button', { name: 'Freeze', exact: true }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Freeze' });
    await dialog.getByLabel('Reason').selectOption('suspected_fraud');
    await dialog.getByRole('button', { name: 'Freeze account' }).click();
    await eventually(async () => assert.equal(await benPage.getByTestId('account-status').innerText(), 'Frozen'));
    assert.equal(await benPage.evaluate(() => window.__noReload), true);
  });

  test('support follows the invitation\'s link, chooses a password, finds the customer and is offered no write action', async () => {
    supportPage = await newPage('support', { locale: 'en-US' });
    // The emailed link points at APP_URL; the same path and fragment on this server.
    const link = new URL(process.env.SUPPORT_INVITATION);
    await supportPage.goto(link.pathname + link.hash);
    await supportPage.getByRole('heading', { level: 1, name: 'Choose your password' }).waitFor();
    await supportPage.getByLabel('New password').fill(support.password);
    await supportPage.getByRole('button', { name: 'Set password' }).click();
    await supportPage.getByText('Your password is set.').waitFor();
    assert.equal(new URL(supportPage.url()).hash, '', 'the token stays in the address bar');
    await supportPage.goto('/sign-in');
    await supportPage.getByLabel('Email').fill(support.email);
    await supportPage.getByLabel('Password').fill(support.password);
    await supportPage.getByRole('button', { name: 'Sign in' }).click();
    await supportPage.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await supportPage.getByLabel('Name or email contains').fill(ben.email);
    await supportPage.getByRole('button', { name: 'Search', exact: true }).first().click();
    await supportPage.getByRole('link', { name: 'Ben Carter' }).click();
    await supportPage.getByRole('heading', { level: 1, name: /Ben Carter/ }).waitFor();
    const writes = /^(Change role|Disable|Enable|Freeze|Unfreeze|Deposit cash|Withdraw cash|New staff member|Approve|Reject)$/;
    assert.equal(await supportPage.getByRole('button', { name: writes }).count(), 0);
    await supportPage.getByRole('link', { name: ben.number.replace(/(\d{3})(?=\d)/g, '$1 ') }).first().click();
    await supportPage.getByRole('heading', { level: 1, name: /^Account / }).waitFor();
    await supportPage.getByText('Frozen').first().waitFor();
    assert.equal(await supportPage.getByRole('button', { name: writes }).count(), 0);
    // The admin, on the same page, is offered the account's actions: the count above can fail.
    await openStaffAccount(adminPage, ben.number);
    await adminPage.getByRole('button', { name: 'Unfreeze' }).waitFor();
  });

  test('every staff page passes an accessibility scan and is photographed', async () => {
    const found = [];
    const pages = [
      ['staff-users', '/staff/users'],
      ['staff-transfers', '/staff/transfers'],
      ['staff-approvals', '/staff/approvals'],
      ['staff-reports', '/staff/reports'],
      ['staff-audit', '/staff/audit'],
    ];
    for (const [name, path] of pages) {
      await adminPage.goto(path);
      await adminPage.locator('h1').waitFor();
      await adminPage.getByText(/Loading/).first().waitFor({ state: 'detached' }).catch(() => {});
      found.push(...(await scan(adminPage)).map((v) => `${name}: ${v}`));
      await shoot(adminPage, name);
    }
    await openStaffAccount(adminPage, ben.number);
    found.push(...(await scan(adminPage)).map((v) => `staff-account: ${v}`));
    await shoot(adminPage, 'staff-account');
    await supportPage.goto('/staff/users');
    await supportPage.getByLabel('Name or email contains').fill(ana.email);
    await supportPage.getByRole('button', { name: 'Search', exact: true }).first().click();
    await supportPage.getByRole('link', { name: 'Ana Pérez' }).click();
    await supportPage.getByRole('heading', { level: 1, name: /Ana Pérez/ }).waitFor();
    found.push(...(await scan(supportPage)).map((v) => `staff-user: ${v}`));
    await shoot(supportPage, 'staff-user');
    assert.deepEqual(found, []);
  });

  test('a customer opens a second account in another currency', async () => {
    await anaPage.goto('/accounts');
    await anaPage.getByRole('button', { name: 'Abrir otra cuenta' }).click();
    const dialog = anaPage.getByRole('dialog', { name: 'Abrir otra cuenta' });
    await dialog.getByLabel('Moneda').selectOption('EUR');
    await dialog.getByRole('button', { name: 'Abrir cuenta' }).click();
    await eventually(async () => assert.equal(await anaPage.locator('[data-account-number]').count(), 2));
    assert.match(await anaPage.getByTestId('balance').nth(1).innerText(), /^0,00\s€$/);
  });

  test('a customer signs in by keyboard alone', async () => {
    const page = await newPage('keyboard', { locale: 'en-US' });
    await page.goto('/sign-in');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    // From the page's heading, Tab reaches the email, the password and the button in that order.
    await page.keyboard.press('Tab');
    await page.keyboard.type(ben.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ben.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Your accounts' }).waitFor();
    await page.close();
  });

  test('both languages render, switched on the page', async () => {
    await anaPage.goto('/accounts');
    await anaPage.getByRole('heading', { level: 1, name: 'Tus cuentas' }).waitFor();
    await anaPage.getByRole('button', { name: 'English' }).click();
    await anaPage.getByRole('heading', { level: 1, name: 'Your accounts' }).waitFor();
    assert.equal(await anaPage.locator('html').getAttribute('lang'), 'en');
    assert.match(await balanceText(anaPage), /^\$74\.50$/);
    await anaPage.getByRole('button', { name: 'Español' }).click();
    await anaPage.getByRole('heading', { level: 1, name: 'Tus cuentas' }).waitFor();
    assert.match(await balanceText(anaPage), /^74,50\sUS\$$/);
  });

  test('every customer page passes an accessibility scan, in both languages, and is photographed', async () => {
    const anaAccount = await anaPage.locator('[data-account-number] a').first().getAttribute('href');
    const pages = [
      ['accounts', '/accounts'],
      ['account', anaAccount],
      ['send', '/send'],
      ['transfer', transferPath],
      ['notifications', '/notifications'],
      ['profile', '/profile'],
    ];
    const found = [];
    for (const [name, path] of pages) {
      await anaPage.goto(path);
      await anaPage.locator('h1').waitFor();
      await anaPage.getByText(/Cargando|Loading/).first().waitFor({ state: 'detached' }).catch(() => {});
      found.push(...(await scan(anaPage)).map((v) => `${name}: ${v}`));
      await shoot(anaPage, name);
      if (name === 'notifications') {
        // Written in the reader's language from what the notification is about.
        await anaPage.getByRole('heading', { level: 2, name: 'Dinero enviado' }).waitFor();
        await anaPage.getByText(/^25,50\sUS\$ salieron de la cuenta/).waitFor();
      }
    }
    const visitor = await newPage('visitor', { locale: 'en-US' });
    for (const [name, path] of [['sign-in', '/sign-in'], ['sign-up', '/sign-up']]) {
      await visitor.goto(path);
      await visitor.locator('h1').waitFor();
      found.push(...(await scan(visitor)).map((v) => `${name}: ${v}`));
      await shoot(visitor, name);
    }
    await anaPage.getByRole('button', { name: 'English' }).click();
    await anaPage.goto('/accounts');
    await anaPage.getByRole('heading', { level: 1, name: 'Your accounts' }).waitFor();
    found.push(...(await scan(anaPage)).map((v) => `accounts (en): ${v}`));
    assert.deepEqual(found, []);
  });

  test('sign out everywhere ends the session in every tab', async () => {
    const second = await anaPage.context().newPage();
    await second.goto('/notifications');
    await second.locator('h1').waitFor();
    await anaPage.goto('/profile');
    await anaPage.getByRole('button', { name: 'Sign out everywhere' }).click();
    await anaPage.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    // The other tab's refresh cookie is spent too: a reload finds no session.
    await second.reload();
    await second.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  });

  test('the API reference shows the transfers operation and the problem codes, in both languages', async () => {
    const page = await newPage('docs', { locale: 'en-US' });
    await page.goto('/docs');
    await page.getByRole('heading', { level: 1, name: 'API reference' }).waitFor();
    const contents = page.getByRole('navigation', { name: 'Contents' });
    // A link to an operation opens its details.
    await contents.getByRole('link', { name: 'POST /v1/transfers', exact: true }).click();
    const transfer = page.locator('article', { has: page.getByRole('heading', { level: 3, name: 'POST /v1/transfers' }) });
    await transfer.getByText(/^Who may call it: client support admin/).waitFor();
    await transfer.getByRole('row', { name: /^Idempotency-Key required header/ }).waitFor();
    await transfer.getByRole('heading', { level: 4, name: /^Request body/ }).waitFor();
    await contents.getByRole('link', { name: 'Problem codes' }).click();
    await page.getByRole('row', { name: /^insufficient_funds\b/ }).waitFor();
    assert.match(await page.getByRole('row', { name: /^not_found\b/ }).innerText(), /404/);
    assert.deepEqual(await scan(page), []);
    await shoot(page, 'docs', { fullPage: false });
    await page.getByRole('button', { name: 'Español' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referencia de la API' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Códigos de problema' }).waitFor();
    await transfer.getByRole('heading', { level: 4, name: /^Cuerpo de la petición/ }).waitFor();
    await page.close();
  });

  test('no page broke its content security policy or threw', () => {
    assert.deepEqual(problemsSeen(), []);
  });
});
