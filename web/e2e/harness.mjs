// The browser tests' harness: Chromium driven by playwright-core against a running bank (BASE_URL),
// an axe-core scan and screenshots per page, and a record of every Content-Security-Policy violation
// and uncaught error, which fail the run.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const baseURL = process.env.BASE_URL ?? 'http://localhost:8080';
export const shotsDir = process.env.SCREENSHOT_DIR ?? path.resolve(import.meta.dirname, '../test-results/screenshots');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

let browser;
const problems = [];

export async function launch() {
  fs.mkdirSync(shotsDir, { recursive: true });
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return browser;
}

export async function close() {
  await browser?.close();
}

// problemsSeen are the CSP violations, page errors and console errors of every page so far.
export function problemsSeen() {
  return [...problems];
}

// newPage opens a page in a fresh browser context (its own cookies: its own user) in locale.
export async function newPage(name, { locale = 'en-US', viewport = desktop } = {}) {
  const context = await browser.newContext({ baseURL, locale, viewport, timezoneId: 'Europe/Madrid' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    // A refused request (401 before a refresh, 404 of a probe) is logged by the browser as a console
    // error; only the app's own errors and policy violations count.
    if (msg.type() === 'error' && !/Failed to load resource/.test(text)) problems.push(`${name}: console: ${text}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return page;
}

// scan runs axe-core on the page and returns its serious and critical violations.
export async function scan(page) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

// shoot saves the page at desktop and phone width as <name>-desktop.png and <name>-phone.png: the
// whole page, or only the screen's worth at its top with fullPage false (for a page too long to
// photograph whole).
export async function shoot(page, name, { fullPage = true } = {}) {
  const size = page.viewportSize();
  await page.setViewportSize(desktop);
  await page.screenshot({ path: path.join(shotsDir, `${name}-desktop.png`), fullPage });
  await page.setViewportSize(phone);
  await page.screenshot({ path: path.join(shotsDir, `${name}-phone.png`), fullPage });
  // Readable at a phone's width: nothing but a table's own scroller is wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (size) await page.setViewportSize(size);
  if (overflow > 0) throw new Error(`${name} is ${overflow}px wider than a phone's screen`);
}

// eventually retries fn until it stops throwing or timeout passes.
export async function eventually(fn, timeout = 20_000) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// api calls the bank's REST API directly (for setting up what a test is not about).
export async function api(method, route, { token, body, headers = {} } = {}) {
  const res = await fetch(new URL(route, baseURL), {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return data;
}

export async function login(email, password) {
  return (await api('POST', '/v1/auth/login', { body: { email, password } })).access_token;
}

// unique makes names and emails no other run has used.
export function unique(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
