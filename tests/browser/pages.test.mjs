// Every console page in the five languages, on a desktop and on a phone, against `steward demo`.
// A page fails when it scrolls sideways, shows raw JSON or a catalog key, shows an English
// catalog message on a page in another language, or writes a count without its plural form.
// The list of pages is checked against the console's route table (docs/console-routes.md), so
// a new page cannot be left out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, startDemo, stopDemo, launch, signIn, setLanguage } from './demo.mjs';

const LANGS = ['en', 'fr', 'sv', 'de', 'ko'];
const CATALOG_DIR = { en: 'en-US', fr: 'fr', sv: 'sv', de: 'de', ko: 'ko' };
const WIDTHS = [1280, 390];
// Words ending in s that are singular ("1 process").
const SINGULAR_S = ['is', 'was', 'has', 'this', 'its', 'process', 'status', 'class', 'address', 'access', 'dans', 'sans', 'plus', 'mois', 'fois', 'pas'];

let demo, browser;

/// Messages of a catalog: id → text without its placeables and selectors.
function catalog(lang) {
  const text = readFileSync(join(root, 'crates/steward-core/locales', CATALOG_DIR[lang], 'main.ftl'), 'utf8');
  const out = new Map();
  let id = null;
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z][a-z0-9_-]*) = ?(.*)$/);
    if (m) {
      id = m[1];
      out.set(id, m[2]);
    } else if (id && /^\s/.test(line) && line.trim()) {
      out.set(id, `${out.get(id)}\n${line.trim()}`);
    } else {
      id = null;
    }
  }
  return out;
}

/// The English messages that must not show on a page in `lang`: plain sentences (no
/// placeables), several words long, translated differently in that language.
function englishOnly(en, other) {
  const out = [];
  for (const [id, value] of en) {
    // The demo's sample content (notices, training) is data written in the demo's language.
    if (id.startsWith('demo-')) continue;
    if (value.includes('{') || value.includes('\n')) continue;
    if (value.split(/\s+/).length < 3 || value.length < 14) continue;
    if (other.get(id) === value) continue;
    out.push(value);
  }
  return out;
}

before(async () => {
  demo = await startDemo(120);
  // A scheduled report, so its page shows one.
  await demo.call('POST', '/api/v1/report-schedules', {
    name: 'Fleet health for the board', sections: ['devices', 'alerts'], period_days: 30,
    recipients: [{ address: 'board@example.com', language: 'fr' }], cadence: 'monthly',
    day_of_month: 1, hour: 8, time_zone: 'Europe/Paris',
  });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  stopDemo(demo);
});

/// The console's GET pages, with a real object for every parameter.
async function pages() {
  const threat = (await demo.api('/api/v1/devices?health=active_threat&limit=1')).items[0];
  const linux = (await demo.api('/api/v1/devices?platform=linux&limit=1')).items[0];
  const alert = (await demo.api('/api/v1/alerts?limit=1')).items[0];
  const notice = (await demo.api('/api/v1/notices?limit=1')).items[0];
  const user = (await demo.api('/api/v1/enrollment-attempts?limit=1')).items[0].owner;
  const article = (await demo.api('/api/v1/kb/articles')).items[0];
  const rule = (await demo.api('/api/v1/alert-rules')).items[0];
  const policy = (await demo.api('/api/v1/policies')).items[0];
  const app = (await demo.api('/api/v1/apps')).items.find((a) => a.name === 'VPN client');
  const windows = (await demo.api(`/api/v1/apps/${app.id}/status`)).assignments
    .find((s) => s.assignment.platform === 'windows').assignment;
  const u = encodeURIComponent(user);
  const remediation = (await demo.api('/api/v1/remediations')).items.find((r) => r.approved_generation > 0);
  const script = (await demo.api('/api/v1/scripts')).items[0];
  return {
    '/': ['/'],
    '/devices': ['/devices', '/devices?sort=name&order=asc'],
    '/devices/{id}': [`/devices/${threat.id}`, `/devices/${linux.id}`],
    '/enrollments': ['/enrollments'],
    '/alerts': ['/alerts'],
    '/alerts/{id}': [`/alerts/${alert.id}`],
    '/silences': ['/silences'],
    '/rules': ['/rules'],
    '/rules/{id}': [`/rules/${rule.id}`],
    '/channels': ['/channels'],
    '/settings/users': ['/settings/users'],
    '/settings/tokens': ['/settings/tokens'],
    '/settings/enrollment-tokens': ['/settings/enrollment-tokens'],
    '/settings/policies': ['/settings/policies'],
    '/settings/policies/{id}': [`/settings/policies/${policy.id}`],
    '/settings/audit': ['/settings/audit'],
    '/readiness': ['/readiness'],
    '/notices': ['/notices'],
    '/notices/{id}': [`/notices/${notice.id}`],
    '/announcements': ['/announcements'],
    '/training': ['/training'],
    '/plan': ['/plan'],
    '/helpdesk': ['/helpdesk', `/helpdesk?q=${u.slice(0, 6)}`],
    '/helpdesk/users/{user}': [`/helpdesk/users/${u}`],
    '/helpdesk/users/{user}/requests': [`/helpdesk/users/${u}/requests`],
    '/kb': ['/kb'],
    '/kb/{id}': [`/kb/${article.id}`],
    '/apps': ['/apps'],
    '/apps/{id}': [`/apps/${app.id}`],
    '/apps/assignments/{id}': [`/apps/assignments/${windows.id}`, `/apps/assignments/${windows.id}?state=failed`],
    '/search': [`/search?q=${encodeURIComponent(threat.name.slice(0, 5))}`],
    '/profile': ['/profile'],
    '/reports': ['/reports', '/reports?days=7', '/reports?days=365'],
    '/reports/schedules': ['/reports/schedules'],
    '/reports/{section}/groups': ['/reports/devices/groups?metric=total', '/reports/alerts/groups?metric=opened'],
    '/remediations': ['/remediations'],
    '/remediations/{id}': [`/remediations/${remediation.id}`],
    '/scripts': ['/scripts'],
    '/scripts/{id}': [`/scripts/${script.id}`],
    '/approvals': ['/approvals'],
  };
}

/// The GET pages of the console's route table, which lists every console route.
function tablePages() {
  const doc = readFileSync(join(root, 'docs/console-routes.md'), 'utf8');
  return [...doc.matchAll(/^\| GET \| `([^`]+)` \|/gm)].map((m) => m[1])
    .filter((p) => !p.startsWith('/assets') && p !== '/login' && !p.endsWith('.csv') && p !== '/reports/{file}' && p !== '/diagnostics/{id}');
}

/// What is wrong with the page now shown: a list of findings.
async function findings(page, lang, en, cat, forbidden) {
  const found = [];
  const { scroll, width, text, prose } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
    // The words of the page outside code, identifiers and form values.
    prose: (() => {
      const copy = document.body.cloneNode(true);
      copy.querySelectorAll('code, pre, script, style, select, input, textarea, .secret').forEach((e) => e.remove());
      return copy.textContent;
    })(),
    // What a reader sees: the page's text, and the labels of its charts and form controls.
    text: [document.body.innerText,
      ...[...document.querySelectorAll('svg title, option, input[type=submit], button')]
        .map((e) => e.textContent)].join('\n'),
  }));
  if (scroll > width) found.push(`scrolls sideways (${scroll}px wide in ${width}px)`);
  for (const code of prose.match(/\b[a-z]+(?:_[a-z0-9]+)+\b/g) || []) {
    found.push(`shows the code ${code} where words belong`);
  }
  if (text.includes('{"')) found.push(`shows JSON: …${text.slice(Math.max(0, text.indexOf('{"') - 40), text.indexOf('{"') + 60)}…`);
  for (const word of text.match(/\b[a-z]+(?:-[a-z0-9_]+)+\b/g) || []) {
    if (cat.has(word) || en.has(word)) found.push(`shows the catalog key ${word}`);
  }
  for (const s of forbidden) {
    if (text.includes(s)) found.push(`shows English: "${s}"`);
  }
  const singular = lang === 'en' ? /(?<![\d.,])\b1 ([a-z]+s)\b/g : lang === 'fr' ? /(?<![\d.,])\b1 ([a-zé]+s)\b/g : null;
  if (singular) {
    for (const m of text.matchAll(singular)) {
      if (!SINGULAR_S.includes(m[1])) found.push(`a count without its plural form: "${m[0]}"`);
    }
  }
  return found;
}

test('every console page reads well in five languages on a desktop and a phone', async () => {
  const all = await pages();
  const missing = tablePages().filter((p) => !(p in all));
  assert.deepEqual(missing, [], 'every GET page of the route table is visited');
  const en = catalog('en');
  const problems = [];
  for (const lang of LANGS) {
    const cat = catalog(lang);
    const forbidden = lang === 'en' ? [] : englishOnly(en, cat);
    await setLanguage(demo, lang);
    for (const width of WIDTHS) {
      const { context, page } = await signIn(browser, demo, demo.admin, { width, height: 900 });
      for (const paths of Object.values(all)) {
        for (const path of paths) {
          const r = await page.goto(demo.base + path);
          if (r.status() !== 200) {
            problems.push(`${lang} ${width}px ${path}: answered ${r.status()}`);
            continue;
          }
          for (const f of await findings(page, lang, en, cat, forbidden)) {
            problems.push(`${lang} ${width}px ${path}: ${f}`);
          }
        }
      }
      await context.close();
    }
  }
  await setLanguage(demo, 'en');
  assert.deepEqual(problems, []);
});
