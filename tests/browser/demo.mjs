// What the browser suites share: a `steward demo` with a simulated fleet, Debian's Chromium,
// and signing in. STEWARD_BIN names the release binary.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.STEWARD_BIN || join(root, 'target', 'release', 'steward');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/// A demo with `devices` simulated devices, once every one has checked in.
export async function startDemo(devices) {
  const dataDir = mkdtempSync(join(tmpdir(), 'steward-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['demo', '--devices', String(devices), '--listen', `127.0.0.1:${port}`,
    '--data-dir', dataDir, '--interval', '2'], { env: { ...process.env, STEWARD_LANG: 'en' } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => process.stderr.write(d));
  await until('the demo', () => out.includes('Press Ctrl-C'), 120000);
  const admin = { email: 'admin@example.com', password: out.match(/password: (\S+)/)[1] };
  const apiToken = out.match(/API token \(administrator\): (\S+)/)[1];
  const call = async (method, path, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${await r.clone().text()}`);
    return r.status === 204 ? null : r.json();
  };
  const demo = { child, dataDir, base, admin, apiToken, bin, call, api: (path) => call('GET', path) };
  await until('the fleet', async () => (await demo.api('/api/v1/fleet/summary')).total === devices);
  return demo;
}

export function stopDemo(demo) {
  if (!demo) return;
  demo.child.kill('SIGINT');
  rmSync(demo.dataDir, { recursive: true, force: true });
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/// A browser context signed in as `who` (whatever language the user reads).
export async function signIn(browser, demo, who, viewport = { width: 1280, height: 900 }, timezoneId) {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId });
  const page = await context.newPage();
  await page.goto(demo.base + '/login');
  await page.locator('input[name="email"]').fill(who.email);
  await page.locator('input[name="password"]').fill(who.password);
  await Promise.all([page.waitForURL(demo.base + '/'), page.locator('form button[type="submit"]').click()]);
  return { context, page };
}

/// The language (and optionally the time zone and regional format) a user reads the console in.
export async function setLanguage(demo, lang, email = demo.admin.email, extra = {}) {
  const users = await demo.api('/api/v1/users?limit=500');
  const user = users.items.find((u) => u.email === email);
  await demo.call('PATCH', `/api/v1/users/${user.id}`, { language: lang, ...extra });
}
