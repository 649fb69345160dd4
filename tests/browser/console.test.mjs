// The console in Debian's Chromium, against `steward demo` with a simulated fleet.
// Run by scripts/test.sh (STEWARD_BIN names the release binary); saves screenshots of the
// main pages under target/screenshots/, or the folder STEWARD_SCREENSHOTS names
// (docs/screenshots to refresh the README's).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { root, startDemo, stopDemo, launch, until } from './demo.mjs';

const shots = resolve(root, process.env.STEWARD_SCREENSHOTS || join('target', 'screenshots'));
const DEVICES = 200;
const HELP = { email: 'help@example.com', password: 'help-desk-password-1' };
const STAKE = { email: 'cio@example.com', password: 'stakeholder-password-1' };

let demo, base, admin, apiToken, browser;
// Anything the browser refused under the pages' content security policy.
const cspViolations = [];

async function api(path) {
  const r = await fetch(base + path, { headers: { authorization: `Bearer ${apiToken}` } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
}

/** The device once `ok` holds for it, or as it is after 30 s (a fleet job evaluates it). */
async function settledDevice(id, ok) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = await api(`/api/v1/devices/${id}`);
    if (ok(d) || Date.now() > deadline) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  demo = await startDemo(DEVICES);
  ({ base, admin, apiToken } = demo);
  const added = spawnSync(demo.bin, ['user', 'add', HELP.email, '--role', 'helpdesk', '--password-stdin',
    '--data-dir', demo.dataDir], { input: HELP.password + '\n' });
  assert.equal(added.status, 0, String(added.stderr));
  const stake = spawnSync(demo.bin, ['user', 'add', STAKE.email, '--role', 'readonly', '--password-stdin',
    '--data-dir', demo.dataDir], { input: STAKE.password + '\n' });
  assert.equal(stake.status, 0, String(stake.stderr));
  await until('threat alerts', async () =>
    (await api('/api/v1/alerts?state=firing&severity=critical')).items.length > 0);
  browser = await launch();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  if (browser) await browser.close();
  stopDemo(demo);
});

async function signIn(who, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(`${page.url()}: ${msg.text()}`);
  });
  await page.goto(base + '/');
  assert.match(page.url(), /\/login/, 'signed-out users land on the login page');
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(base + '/');
  return { context, page };
}

function tile(page, title) {
  return page.locator('section.tile', { has: page.getByRole('heading', { name: title }) });
}

function number(text) {
  return Number(text.replace(/[^0-9]/g, ''));
}

test('a wrong password is refused with a readable message', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.getByLabel('E-mail').fill(admin.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await assert.doesNotReject(page.getByRole('alert').waitFor());
  assert.match(await page.getByRole('alert').innerText(), /wrong e-mail address or password/i);
  await context.close();
});

test('the dashboard shows the fleet the API counts, and its tiles lead to the lists', async () => {
  const { context, page } = await signIn(admin);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const summary = await api('/api/v1/fleet/summary');
  const devices = number(await tile(page, 'Managed devices by platform').locator('.big').innerText());
  assert.equal(devices, summary.total);
  const malwareText = await tile(page, 'Endpoint protection').locator('.big').innerText();
  assert.equal(number(malwareText), summary.by_health.active_threat);
  assert.ok(summary.by_health.active_threat > 0, 'the simulated fleet has threats');
  for (const [platform, n] of Object.entries(summary.by_platform)) {
    const bar = tile(page, 'Managed devices by platform').locator(`a[href="/devices?platform=${platform}"] title`);
    assert.match(await bar.textContent(), new RegExp(`: ${n.toLocaleString('en-US')}$`));
  }
  await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });

  // From the malware figure to the filtered device list.
  await tile(page, 'Endpoint protection').locator('p a').click();
  await page.waitForURL(/\/devices\?health=active_threat/);
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), Math.min(summary.by_health.active_threat, 50));
  for (const badge of await page.locator('tbody tr td:nth-child(6)').allInnerTexts()) {
    assert.equal(badge.trim(), 'Active threat');
  }
  await page.screenshot({ path: join(shots, 'devices.png'), fullPage: true });
  const csv = await page.request.get(base + '/devices.csv?health=active_threat');
  assert.equal(csv.status(), 200);
  const lines = (await csv.text()).trim().split('\n');
  assert.match(lines[0], /^id,name,platform/);
  assert.equal(lines.length - 1, summary.by_health.active_threat);
  await context.close();
});

test('a stakeholder sees the figures and trends, follows a chart to a list, and meets no refusal', async () => {
  const { context, page } = await signIn(STAKE);
  const refused = [];
  page.on('response', (r) => { if (r.status() >= 400) refused.push(`${r.status()} ${r.url()}`); });
  // Every link a stakeholder is shown opens: the dashboard's, then the reports'.
  const followAll = async () => {
    const hrefs = await page.locator('main a[href^="/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.length > 0);
    for (const href of new Set(hrefs)) {
      const r = await page.request.get(base + href);
      assert.equal(r.status(), 200, `${href} for a stakeholder`);
    }
  };
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const summary = await api('/api/v1/fleet/summary');
  assert.equal(number(await tile(page, 'Managed devices by platform').locator('.big').innerText()), summary.total);
  assert.equal(await page.getByRole('link', { name: 'Devices', exact: true }).count(), 0, 'no device list in the menu');
  await followAll();

  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
  const devices = page.locator('section#section-devices');
  assert.ok(await devices.locator('svg.chart polyline').count() > 0, 'a trend line of the devices');
  const report = await api('/api/v1/reports?days=30');
  const total = report.sections.find((s) => s.section === 'devices').figures.find((f) => f.metric === 'total');
  assert.equal(number(await devices.locator('tbody tr').first().locator('td').nth(1).innerText()), total.value);
  await followAll();
  await page.screenshot({ path: join(shots, 'reports.png'), fullPage: true });

  // The devices chart leads to today's devices by group.
  await devices.locator('a.chart-link').click();
  await page.waitForURL(/\/reports\/devices\/groups\?metric=total/);
  const counted = (await page.locator('tbody td:nth-child(2)').allInnerTexts()).map(number).reduce((a, b) => a + b, 0);
  assert.equal(counted, (await api('/api/v1/fleet/summary')).total);
  assert.deepEqual(refused, [], 'no refusal on the way');
  // Scheduling reports is for operators and administrators.
  assert.equal(await page.getByRole('link', { name: 'Scheduled reports' }).count(), 0);
  await context.close();
});

test('a device with an active threat: its detection, then its alert acknowledged and resolved', async () => {
  const { context, page } = await signIn(admin);
  await page.goto(base + '/devices?health=active_threat');
  await page.locator('tbody tr td a').first().click();
  await page.getByRole('heading', { name: 'Detections' }).waitFor();
  assert.match(await page.locator('section#protection, section[aria-labelledby="protection"]').innerText(), /Left in place/);
  await page.screenshot({ path: join(shots, 'device.png'), fullPage: true });

  const alertLink = page.locator('section[aria-labelledby="alerts"] tbody a', { hasText: 'Active threat' }).first();
  await alertLink.click();
  await page.getByRole('heading', { name: 'Actions' }).waitFor();
  const id = page.url().split('/').pop();
  await page.getByLabel('Comment (optional)').fill('Looking at it');
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Acknowledge' }).click()]);
  await page.getByText('Acknowledged', { exact: true }).first().waitFor();
  let alert = await api(`/api/v1/alerts/${id}`);
  assert.equal(alert.state, 'acknowledged');
  assert.equal(alert.acknowledged_by, admin.email);
  await page.screenshot({ path: join(shots, 'alert.png'), fullPage: true });
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Resolve' }).click()]);
  alert = await until('the resolution', async () => {
    const a = await api(`/api/v1/alerts/${id}`);
    return a.state === 'resolved' ? a : null;
  });
  assert.equal(alert.resolved_by, admin.email);
  assert.deepEqual(alert.history.map((e) => e.kind).slice(-2), ['acknowledged', 'resolved']);
  await page.goto(base + '/alerts?state=firing');
  await page.screenshot({ path: join(shots, 'alerts.png'), fullPage: true });
  await context.close();
});

test('switching to Korean translates the console and is remembered', async () => {
  const { context, page } = await signIn(admin);
  await Promise.all([page.waitForEvent('load'), page.getByLabel('Language').selectOption('ko')]);
  await page.getByRole('heading', { name: '대시보드' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
  assert.ok(await page.getByRole('link', { name: '디바이스', exact: true }).isVisible());
  await page.screenshot({ path: join(shots, 'dashboard-ko.png'), fullPage: true });
  await page.goto(base + '/devices');
  await page.getByRole('heading', { name: '디바이스' }).waitFor();
  await Promise.all([page.waitForEvent('load'), page.getByLabel('언어').selectOption('en')]);
  await page.getByRole('heading', { name: 'Devices' }).waitFor();
  await context.close();
});

test('the help desk cannot reach the settings', async () => {
  const { context, page } = await signIn(HELP);
  assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0);
  assert.ok(await page.getByRole('link', { name: 'Devices', exact: true }).isVisible());
  const r = await page.goto(base + '/settings/users');
  assert.equal(r.status(), 403);
  await page.getByRole('alert').waitFor();
  const r2 = await page.goto(base + '/channels');
  assert.equal(r2.status(), 403);
  await context.close();
});

test('update awareness: the readiness checklist and the message center', async () => {
  const { context, page } = await signIn(admin);
  await page.getByRole('link', { name: 'Readiness', exact: true }).click();
  await page.getByRole('heading', { name: 'Readiness', level: 1 }).waitFor();
  assert.equal(await page.locator('ol.timeline > li').count(), 8);
  // The demo's rollouts are running: the app distribution item names its state.
  assert.equal(
    await page.locator('ol.timeline > li', { hasText: 'Application distribution performing to plan' }).count(),
    1,
  );
  assert.equal(
    await page.locator('ol.timeline > li', { hasText: 'Remediations fixing what they find' }).count(),
    1,
  );
  // The demo has rules but no tested channel: monitoring needs attention, and says why.
  const monitoring = page.locator('ol.timeline > li', { hasText: 'Monitoring procedures in place' });
  assert.match(await monitoring.innerText(), /Needs attention/);
  assert.match(await monitoring.innerText(), /No notification channel has passed a test/);
  await page.screenshot({ path: join(shots, 'readiness.png'), fullPage: true });

  await page.locator('header nav').getByRole('link', { name: 'Updates', exact: true }).click();
  await page.getByText('New notice').click();
  const form = page.locator('form[hx-post="/notices"]');
  await form.getByLabel('Title (English)').fill('New admin center address');
  await form.getByLabel('Major update').check();
  await form.getByLabel('Admin impact').check();
  await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: 'Publish' }).click()]);
  const row = page.locator('tbody tr', { hasText: 'New admin center address' });
  await row.getByText('Unread').waitFor();
  await Promise.all([page.waitForEvent('load'), row.getByRole('button', { name: 'Acknowledge' }).click()]);
  await page.locator('tbody tr', { hasText: 'New admin center address' }).getByText('Acknowledged', { exact: true }).waitFor();
  await page.screenshot({ path: join(shots, 'notices.png'), fullPage: true });
  const notices = await api('/api/v1/notices');
  assert.equal(notices.items[0].tags.join(','), 'major_update,admin_impact');
  await context.close();
});

test('update awareness: a notice in two languages, the help desk briefed, a feature turned on and its training caught up', async () => {
  const { context, page } = await signIn(admin);
  await page.goto(base + '/notices');
  await page.getByText('New notice').click();
  const form = page.locator('form[hx-post="/notices"]');
  await form.getByLabel('Title (English)').fill('Company portal moves to a new address');
  await form.getByLabel('Text (Markdown) (English)').fill('Use **portal.example.org** from Monday.');
  await form.locator('summary', { hasText: 'Français' }).click();
  await form.getByLabel('Title (Français)').fill('Le portail d’entreprise change d’adresse');
  await form.getByLabel('User impact').check();
  await form.getByLabel(/Help-desk briefing \(every/).check();
  await form.locator('select[name="platform_0"]').selectOption('macos');
  await form.locator('input[name="max_version_0"]').fill('15');
  await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: 'Publish' }).click()]);

  // One click from the list to who has and has not acknowledged it.
  await page.getByRole('link', { name: 'Company portal moves to a new address' }).click();
  await page.getByRole('heading', { name: 'Acknowledgments' }).waitFor();
  const acks = page.locator('section[aria-labelledby="acks"]');
  assert.match(await acks.innerText(), new RegExp(`Not yet\\s+${HELP.email}`));
  assert.match(await page.locator('section[aria-labelledby="facts"]').innerText(), /macOS < 15/);
  await page.getByRole('link', { name: 'Français' }).click();
  await page.getByRole('heading', { name: 'Le portail d’entreprise change d’adresse' }).waitFor();
  const id = page.url().split('/').pop().split('?')[0];

  // The help desk sees the briefing and acknowledges it; the operator's page says so.
  const desk = await signIn(HELP);
  await desk.page.goto(base + '/notices');
  const row = desk.page.locator('tbody tr', { hasText: 'Company portal moves to a new address' });
  await row.getByText('Help-desk briefing').waitFor();
  await Promise.all([desk.page.waitForEvent('load'), row.getByRole('button', { name: 'Acknowledge' }).click()]);
  await desk.context.close();
  await page.goto(`${base}/notices/${id}`);
  assert.match(await acks.innerText(), new RegExp(`Acknowledged by\\s+${HELP.email}`));
  const detail = await api(`/api/v1/notices/${id}`);
  assert.deepEqual(detail.acknowledgments.missing, []);
  assert.deepEqual(Object.keys(detail.title).sort(), ['en', 'fr']);

  // The demo's feature update names a feature that is off; turning it on from the notice
  // makes its training material stale until it is reviewed.
  await page.goto(base + '/notices');
  await page.getByRole('link', { name: 'Passkey sign-in is coming to the console' }).click();
  const features = page.locator('section[aria-labelledby="features"]');
  await features.getByText('Passkey sign-in').waitFor();
  assert.match(await features.innerText(), /1 training material\b/);
  await page.screenshot({ path: join(shots, 'notice.png'), fullPage: true });
  await Promise.all([page.waitForEvent('load'), features.getByRole('button', { name: 'Turn on' }).click()]);
  await features.getByText('Out of date: 1').waitFor();
  await features.getByRole('link', { name: /training material/ }).click();
  const material = page.locator('tbody tr', { hasText: 'Passkey sign-in: what changes for administrators' });
  await material.getByText('Out of date').waitFor();
  await page.locator('header nav').getByRole('link', { name: 'Readiness', exact: true }).click();
  const training = page.locator('ol.timeline > li', { hasText: 'Training current, onboarding on track' });
  assert.match(await training.innerText(), /Needs attention/);
  await page.goto(base + '/training');
  await Promise.all([page.waitForEvent('load'), material.getByRole('button', { name: 'Reviewed' }).click()]);
  await material.getByText('Current').waitFor();
  await page.screenshot({ path: join(shots, 'training.png'), fullPage: true });
  const materials = await api('/api/v1/training');
  assert.equal(materials.items.filter((m) => m.stale).length, 0);
  await context.close();
});

test('update awareness: an announcement to macOS below 15 and the operational plan', async () => {
  const { context, page } = await signIn(admin);
  await page.goto(base + '/announcements');
  await page.getByText('New announcement').click();
  const form = page.locator('form[hx-post="/announcements"]');
  await form.getByLabel('Title').fill('Update to macOS 15 this month');
  await form.getByLabel('Text (Markdown)').fill('Your Mac needs macOS 15 by the end of the month.');
  await form.getByLabel('Platform').selectOption('macos');
  await form.getByLabel('Below version').fill('15');
  await form.getByRole('button', { name: 'Send' }).click();
  const flash = page.locator('#flash');
  await flash.getByText(/Queued for/).waitFor();
  const sent = await api('/api/v1/announcements');
  const a = sent.items[0];
  const devices = await api('/api/v1/devices?platform=macos&limit=500');
  const owners = new Set(devices.items.filter((d) => Number(d.os_version.split('.')[0]) < 15).map((d) => d.owner));
  assert.ok(owners.size > 0, 'the simulated fleet has Macs below 15');
  assert.equal(a.reach.owners, owners.size);
  assert.match(await flash.innerText(), new RegExp(`Queued for ${owners.size}\\b`));
  await page.reload();
  await page.locator('tbody tr', { hasText: 'Update to macOS 15 this month' }).waitFor();
  await page.screenshot({ path: join(shots, 'announcements.png'), fullPage: true });

  // The stakeholders' line of the plan names their scheduled report.
  await demo.call('POST', '/api/v1/report-schedules', {
    name: 'Monthly for the CIO', sections: ['devices', 'alerts'], period_days: 30,
    recipients: [{ address: 'cio@example.com', language: 'en-US' }], cadence: 'monthly',
    day_of_month: 1, hour: 8, time_zone: 'Europe/Stockholm',
  });
  await page.getByRole('link', { name: 'Operational plan', exact: true }).click();
  await page.getByText('Discovery questions still open').waitFor();
  await page.getByLabel('Person 1', { exact: true }).fill('Ana Lind');
  await page.getByLabel('Role 1', { exact: true }).fill('O&M lead');
  await page.getByLabel('Stakeholders 1').fill('CIO, service owners');
  await page.getByLabel('How often 1').fill('Monthly');
  await page.getByLabel('Scheduled report 1').selectOption({ label: 'Monthly for the CIO' });
  await page.getByLabel('Responsible for update awareness').fill('Bo Berg');
  await page.getByLabel('State: Training').selectOption('in_progress');
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Save the plan' }).click()]);
  await page.getByLabel('Person 2', { exact: true }).waitFor();
  assert.equal(await page.getByText('Discovery questions still open').count(), 0);
  assert.equal(await page.getByLabel('Person 1', { exact: true }).inputValue(), 'Ana Lind');
  await page.screenshot({ path: join(shots, 'plan.png'), fullPage: true });
  const plan = await api('/api/v1/ops-plan');
  assert.deepEqual(plan.unanswered, []);
  assert.equal(plan.focus_areas.find((f) => f.area === 'training').status, 'in_progress');
  await context.close();
});

test('help desk: a user with a failed enrollment and a failed app install, the article, and a check-in answered', async () => {
  // A simulated user with both troubles and a device that checks in.
  let user = null;
  for (const a of (await api('/api/v1/enrollment-attempts?result=unknown_token')).items) {
    const v = await api(`/api/v1/troubleshoot/users/${encodeURIComponent(a.owner)}`);
    const online = v.devices.find((d) => Date.now() - Date.parse(d.last_seen_at) < 60000);
    if (v.issues.failed_enrollments > 0 && v.issues.failed_installs > 0 && online) {
      user = { email: a.owner, device: online.name };
      break;
    }
  }
  assert.ok(user, 'the simulated fleet has a user with both troubles');
  const { context, page } = await signIn(HELP);
  await page.getByRole('link', { name: 'Troubleshooting', exact: true }).click();
  await page.getByLabel('User (e-mail address)').fill(user.email.slice(0, 9));
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Search' }).click()]);
  await page.getByRole('link', { name: user.email }).click();
  await page.getByRole('heading', { name: user.email, level: 1 }).waitFor();

  const enrollments = page.locator('section[aria-labelledby="enrollments"]');
  const refused = enrollments.locator('tbody tr', { hasText: 'unknown_token' }).first();
  assert.match(await refused.innerText(), /does not exist/);
  assert.equal(await refused.getByRole('link', { name: 'Enrollment fails: invalid or expired enrollment token' }).count(), 1);
  const installs = page.locator('section[aria-labelledby="installs"]');
  const failed = installs.locator('tbody tr', { hasText: 'Failed' }).first();
  const code = (await failed.locator('code').innerText()).trim();
  assert.match(code, /^(0x[0-9a-f]{8}|[a-z_]+)$/);
  await page.screenshot({ path: join(shots, 'helpdesk-user.png'), fullPage: true });

  // The article for the failed install, and whether it solved the case.
  await failed.getByRole('link', { name: 'App installation failed' }).click();
  await page.getByRole('heading', { name: 'App installation failed', level: 1 }).waitFor();
  assert.match(await page.locator('section[aria-labelledby="facts"]').innerText(), new RegExp(code));
  await page.getByRole('button', { name: 'Yes, solved' }).click();
  await page.locator('#flash').getByText('Thank you').waitFor();
  await page.screenshot({ path: join(shots, 'kb-article.png'), fullPage: true });
  const article = await api('/api/v1/kb/articles/app-install-failed');
  assert.equal(article.score.solved, 1);

  // Ask the device to check in; its answer shows up on the page by itself.
  await page.goBack();
  await page.getByRole('heading', { name: user.email, level: 1 }).waitFor();
  const row = page.locator('section[aria-labelledby="devices"] tbody tr', { hasText: user.device });
  await row.getByRole('button', { name: 'Check in now' }).click();
  await page.locator('#flash').getByText('Requested').waitFor();
  const requests = page.locator('section[aria-labelledby="requests"]');
  await requests.locator('tbody tr', { hasText: 'Check in now' }).getByText('Checked in').waitFor({ timeout: 30000 });
  const devices = (await api(`/api/v1/troubleshoot/users/${encodeURIComponent(user.email)}`)).requests;
  assert.equal(devices[0].kind, 'sync');
  assert.equal(devices[0].ok, true);
  assert.equal(devices[0].requested_by, HELP.email);
  await context.close();
});

test('settings and a phone-sized screen', async () => {
  const { context, page } = await signIn(admin);
  await page.goto(base + '/settings/users');
  await page.getByRole('cell', { name: HELP.email }).waitFor();
  await page.screenshot({ path: join(shots, 'settings-users.png'), fullPage: true });
  await context.close();
  const phone = await signIn(admin, { width: 390, height: 844 });
  await phone.page.screenshot({ path: join(shots, 'dashboard-phone.png'), fullPage: true });
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling on a phone (page is ${width}px wide)`);
  await phone.context.close();
});

test('an administrator edits the compliance policy in its form and a device follows', async () => {
  const linux = (await api('/api/v1/devices?platform=linux&compliance=compliant&limit=1')).items[0];
  assert.ok(linux, 'the simulated fleet has a compliant Linux device');
  const { context, page } = await signIn(admin);
  await page.goto(base + '/settings/policies');
  await page.getByRole('link', { name: 'Baseline' }).first().click();
  await page.getByRole('heading', { name: 'Baseline', level: 1 }).waitFor();
  const field = page.getByLabel('Minimum OS version: Linux', { exact: true });
  assert.equal(await field.inputValue(), '');
  await field.fill('999');
  await Promise.all([page.waitForURL(base + '/settings/policies'), page.getByRole('button', { name: 'Save' }).click()]);
  // The list shows the rule in words; the fleet job evaluates the device again.
  await page.getByText('Linux at version 999 or later').first().waitFor();
  assert.notEqual((await settledDevice(linux.id, (d) => d.compliance_state !== 'compliant')).compliance_state, 'compliant');
  await page.goto(`${base}/devices/${linux.id}`);
  const row = page.locator('section[aria-labelledby="compliance"] tbody tr', { hasText: 'Linux at version 999 or later' });
  await row.getByText('Fail').waitFor();
  await page.screenshot({ path: join(shots, 'device-noncompliant.png'), fullPage: true });
  // Back as it was: the field emptied, the device compliant again.
  await page.goto(base + '/settings/policies');
  await page.getByRole('link', { name: 'Baseline' }).first().click();
  await page.getByLabel('Minimum OS version: Linux', { exact: true }).fill('');
  await Promise.all([page.waitForURL(base + '/settings/policies'), page.getByRole('button', { name: 'Save' }).click()]);
  assert.equal((await settledDevice(linux.id, (d) => d.compliance_state === 'compliant')).compliance_state, 'compliant');
  await context.close();
});

test('an escalation step added in the rule form makes the team ready to react', async () => {
  const created = await fetch(base + '/api/v1/channels', {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'On-call pager', kind: 'webhook', target: 'https://oncall.example.org/hook', severities: ['critical'] }),
  });
  assert.equal(created.status, 201);
  const { context, page } = await signIn(admin);
  await page.goto(base + '/readiness');
  const reacting = page.locator('ol.timeline > li', { hasText: 'Ready to react to important alerts' });
  assert.match(await reacting.innerText(), /Critical rules without escalation: Active threat/);
  await page.goto(base + '/rules');
  const row = page.locator('tbody tr', { hasText: 'Active threat' });
  await row.getByRole('link', { name: 'Edit' }).click();
  await page.getByRole('heading', { name: 'Active threat', level: 1 }).waitFor();
  await page.getByLabel('Step 1: after (minutes)').fill('15');
  await page.locator('input[name="step_channel_0"]').first().check();
  await Promise.all([page.waitForURL(base + '/rules'), page.getByRole('button', { name: 'Save' }).click()]);
  await page.locator('tbody tr', { hasText: 'Active threat' }).getByText('1 escalation step').waitFor();
  const rules = await api('/api/v1/alert-rules');
  const rule = rules.items.find((r) => r.condition.type === 'active_threat');
  assert.equal(rule.notify.escalation[0].after_minutes, 15);
  await page.goto(base + '/readiness');
  await reacting.getByText('Ready', { exact: true }).waitFor();
  assert.doesNotMatch(await reacting.innerText(), /without escalation/);
  await context.close();
});

test('a device is retired from its page', async () => {
  const victim = (await api('/api/v1/devices?platform=windows&limit=1&sort=-last_seen_at')).items[0];
  const { context, page } = await signIn(admin);
  await page.goto(`${base}/devices/${victim.id}`);
  page.once('dialog', (d) => d.accept());
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Retire' }).click()]);
  await page.locator('p .badge', { hasText: 'Retired' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Retire' }).count(), 0, 'no actions on a retired device');
  const after = await api(`/api/v1/devices/${victim.id}`);
  assert.equal(after.retired, true);
  await context.close();
});

test('a user in Seoul reads Seoul times, in the regional format they chose', async () => {
  const { context, page } = await signIn(admin);
  await page.goto(base + '/profile');
  await page.getByLabel('Time zone').selectOption('Asia/Seoul');
  await page.getByLabel('Regional format').selectOption('en-GB');
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Save' }).click()]);
  // The audit log's newest entry is this change: its time as Seoul reads it.
  const entry = (await api('/api/v1/audit?limit=1')).items[0];
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(entry.at)).map((p) => [p.type, p.value]));
  const seoul = `${parts.day}/${parts.month}/${parts.year}, ${parts.hour}:${parts.minute} KST`;
  await page.goto(base + '/settings/audit');
  assert.match(await page.locator('tbody tr').first().innerText(), new RegExp(seoul.replace(/[/]/g, '\\/')));
  await page.goto(base + '/profile');
  assert.match(await page.locator('main').innerText(), /KST/);
  // Back to the defaults for the tests that follow.
  await page.getByLabel('Time zone').selectOption('UTC');
  await page.getByLabel('Regional format').selectOption('');
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Save' }).click()]);
  await context.close();
});

test('no page ran into its content security policy', () => {
  assert.deepEqual(cspViolations, []);
});
