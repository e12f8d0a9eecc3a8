// The web console end to end, in a real browser.
//
// Starts a development-mode Warden on a free loopback port, creates accounts
// of every console role and synthetic persons and cases through the API,
// then drives Debian's Chromium (through playwright-core) as a security
// officer, an officer, an investigator and an auditor, once with a browser
// that prefers Chinese (zh-CN, the console's default for it) and once in
// English, expecting each screen's text from the console's message table
// and no English left on the Chinese screens. It checks what SPEC
// §5 asks of the console: password + TOTP login, a stated purpose before any
// personal data (the server refuses a look-up without one), masked results,
// an explicit reveal, a person's cases, the trail with the officer's read in
// it, its verification, the access report, accounts and quotas — all under
// the server's Content-Security-Policy with not one console error, and
// every value escaped. Screenshots go to WARDEN_TEST_OUT; with
// WARDEN_SCREENSHOTS set to a folder (docs/img), the Chinese walk also saves
// the README's pictures there (login, a masked record, the audit trail).
//
// Every API exchange, the test's own calls and the browser's, is recorded
// and checked against docs/openapi.yaml (openapi_exchanges.mjs): an
// undocumented path or status, or a body the document does not describe,
// fails the test.
//
// Environment:
//   WARDEN_BIN       the warden binary (required)
//   WARDEN_WEB_DIR   the web/ folder holding node_modules (default: ../../web)
//   WARDEN_TEST_OUT  where screenshots and the server log go (default: a temp dir)
//   CHROMIUM         the browser (default: /usr/bin/chromium)
//   WARDEN_SCREENSHOTS  where to save the README's screenshots (default: none)
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OpenApiChecker } from './openapi_exchanges.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WARDEN = process.env.WARDEN_BIN;
const WEB_DIR = path.resolve(process.env.WARDEN_WEB_DIR || path.join(here, '..', '..', 'web'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-console-'));
const OUT = process.env.WARDEN_TEST_OUT || work;
const SCREENSHOTS = process.env.WARDEN_SCREENSHOTS ? path.resolve(process.env.WARDEN_SCREENSHOTS) : '';

let server = null;
let stopping = false;
let browser = null;
let failures = 0;
let checks = 0;
// Every request/answer pair of the run, checked against the API document at the end.
const exchanges = [];

function check(ok, what, detail = '') {
  checks++;
  if (ok) {
    console.log(`  ok   ${what}`);
  } else {
    failures++;
    console.log(`  FAIL ${what}${detail ? `: ${detail}` : ''}`);
  }
}

function die(message) {
  console.error(`console_e2e: ${message}`);
  cleanup().finally(() => process.exit(1));
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  stopping = true;
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      const t = setTimeout(() => { server.kill('SIGKILL'); resolve(); }, 5000);
      server.once('exit', () => { clearTimeout(t); resolve(); });
    });
  }
  fs.rmSync(work, { recursive: true, force: true });
}

// ---- TOTP (RFC 6238, SHA-1, 6 digits, 30 s): each code is accepted once, so
// a second login of one account within 30 s uses the next step.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error('bad base32');
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totpAt(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

const lastStep = new Map();
async function nextCode(account) {
  for (;;) {
    const now = Math.floor(Date.now() / 1000 / 30);
    const step = Math.max(now, (lastStep.get(account.username) ?? -Infinity) + 1);
    if (step <= now + 1) {
      lastStep.set(account.username, step);
      return totpAt(account.totp, step);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// ---- HTTP helpers
let base = '';

async function api(method, p, { token, body, purpose, reason } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (purpose) headers['Warden-Purpose'] = purpose;
  if (reason) headers['Warden-Reason'] = reason;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Error(`${method} ${p}: ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ''}`);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  exchanges.push(Promise.resolve({ method, path: p, status: res.status, requestBody: body,
    contentType: res.headers.get('content-type'), body: json ?? text }));
  return { status: res.status, json, headers: res.headers };
}

async function must(method, p, options, want = [200, 201]) {
  const r = await api(method, p, options);
  if (!want.includes(r.status)) throw new Error(`${method} ${p}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

// A request with the target exactly as written (fetch would normalise it).
function rawGet(target) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'GET', path: target }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function login(account) {
  const r = await must('POST', '/v1/auth/login',
    { body: { username: account.username, password: account.password, totp: await nextCode(account) } });
  return r.token;
}

// ---- Setup: server, accounts, data
async function startServer() {
  const data = path.join(work, 'data');
  const init = execFileSync(WARDEN, ['init', '--data', data, '--dev-key-file', path.join(work, 'dev.key')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tokens = [...init.matchAll(/bootstrap token \d: (\S+)/g)].map((m) => m[1]);
  if (tokens.length !== 2) throw new Error('no pair of bootstrap tokens in the output of warden init');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(OUT, 'console_e2e_server.log'), 'w');
  server = spawn(WARDEN, ['serve', '--data', data, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', log, log] });
  server.once('exit', (code, signal) => {
    if (!stopping) {
      failures++;
      console.error(`console_e2e: warden serve died (exit ${code}, signal ${signal}); see console_e2e_server.log`);
    }
  });
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error(`warden serve exited with ${server.exitCode}`);
    try {
      const h = await api('GET', '/healthz');
      if (h.json && h.json.status === 'ok') return tokens;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not become ready');
}

function password(role) {
  return `${role}-${crypto.randomBytes(9).toString('base64url')}`;
}

async function setUp(bootstrapTokens) {
  const acc = {};
  const mk = (username, role) => ({ username, role, password: password(role) });
  // The two bootstrap tokens make the first two security officers.
  acc.so1 = mk('so.alice', 'security_officer');
  acc.so2 = mk('so.bob', 'security_officer');
  for (const [a, token] of [[acc.so1, bootstrapTokens[0]], [acc.so2, bootstrapTokens[1]]]) {
    const r = await must('POST', '/v1/auth/bootstrap',
      { token, body: { username: a.username, password: a.password } });
    a.id = r.account_id;
    a.totp = r.totp_secret;
  }
  const so1 = await login(acc.so1);
  const so2 = await login(acc.so2);
  // Asked for by one officer; approved by the other and enrolled by the
  // holder with both halves, unless `approveInBrowser`.
  const create = async (a, roles, approveInBrowser = false) => {
    const r = await must('POST', '/v1/admin/accounts', { token: so1, body: { username: a.username, roles } }, [202]);
    check(!('password' in r) && !('totp_secret' in r) && r.enrolment_code_part, `the officer asking for ${a.username} gets half a code, no credential`, JSON.stringify(r));
    a.id = r.account_id;
    a.halfA = r.enrolment_code_part;
    a.requestId = r.request_id;
    if (approveInBrowser) return;
    const approved = await must('POST', `/v1/admin/requests/${r.request_id}/approve`, { token: so2, body: {} });
    a.totp = (await must('POST', '/v1/auth/enrol', { body: {
      username: a.username, password: a.password,
      enrolment_codes: [a.halfA, approved.enrolment_code_part] } })).totp_secret;
  };
  acc.registrar = mk('reg.rita', 'registrar');
  acc.officer = mk('off.oscar', 'officer');
  // One investigator per language walk, each approved and enrolled in the browser.
  acc.investigators = { 'zh-CN': mk('inv.ivy', 'investigator'), en: mk('inv.ian', 'investigator') };
  acc.auditor = mk('aud.audrey', 'auditor');
  await create(acc.registrar, ['registrar']);
  await create(acc.officer, ['officer']);
  await create(acc.auditor, ['auditor']);
  // The investigators are approved by the second officer in the browser, and
  // enrol on the console's enrolment page.
  for (const inv of Object.values(acc.investigators)) await create(inv, ['investigator'], true);

  // Synthetic persons and cases that refer to them.
  const gen = (what, extra) => execFileSync(WARDEN, ['gen', what, ...extra, '--seed', '7', '--format', 'jsonl'],
    { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
  const persons = gen('persons', ['--count', '20']);
  const cases = gen('cases', ['--count', '40', '--persons', '20']);
  // A hostile free-text value: it must show as text, never as markup.
  persons[1].notes = '<img src=x id=xss onerror="window.__xss=1"><b>bold</b>';
  const reg = await login(acc.registrar);
  for (const [collection, records] of [['persons', persons], ['cases', cases]]) {
    const r = await must('POST', `/v1/${collection}/batch`,
      { token: reg, body: { records }, purpose: 'import/e2e-seed' });
    if (r.written !== records.length) throw new Error(`batch ${collection}: ${JSON.stringify(r).slice(0, 400)}`);
  }
  const withCase = persons.findIndex((p) => cases.some((c) => (c.persons || []).some((x) => x.national_id === p.national_id)));
  return { acc, persons, cases, withCase, so1Token: so1 };
}

// ---- Languages: the console's own message table gives the expected text.
let MESSAGES = null; // web/console/messages.js, loaded in main()
let lang = 'en'; // the walk's language

function M(key, params = {}) {
  const text = MESSAGES[lang][key];
  if (text === undefined) throw new Error(`no message ${key} in ${lang}`);
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// What a Chinese screen must not show: any English message that differs
// from its Chinese one (the parts between its placeholders, as whole
// words), and any run of two or more English words from anywhere.
function englishLeaks(text) {
  const leaks = [];
  for (const [key, en] of Object.entries(MESSAGES.en)) {
    if (MESSAGES['zh-CN'][key] === en) continue;
    for (const part of en.split(/\{\w+\}/).map((p) => p.trim())) {
      if (!/[A-Za-z]{3,}/.test(part)) continue;
      // Whole words only: not a part of an identifier (Warden-Purpose, purpose_required).
      if (new RegExp(`(^|[^A-Za-z_.-])${escapeRegExp(part)}($|[^A-Za-z_.-])`).test(text)) leaks.push(`${key}: ${part}`);
    }
  }
  return leaks.concat(text.match(/\b[A-Za-z]{3,}(?: [A-Za-z]{3,})+\b/g) || []);
}

async function checkNoEnglish(page, label) {
  if (lang !== 'zh-CN') return;
  const text = await page.evaluate(() => document.body.innerText);
  const leaks = englishLeaks(text);
  check(leaks.length === 0, `${label}: no English on the Chinese screen`, leaks.join(' | '));
}

// The README's pictures: the Chinese walk, when WARDEN_SCREENSHOTS asks.
async function readmeShot(page, name) {
  if (!SCREENSHOTS || lang !== 'zh-CN') return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name) });
  console.log(`  saved ${path.join(SCREENSHOTS, name)}`);
}

// ---- Browser helpers
// One exchange the console made, as openapi_exchanges.mjs reads it.
async function browserExchange(res) {
  const req = res.request();
  const url = new URL(req.url());
  let requestBody;
  try { requestBody = req.postData() ? JSON.parse(req.postData()) : undefined; } catch { requestBody = req.postData(); }
  let text = '';
  const redirect = res.status() >= 300 && res.status() < 400;
  if (res.status() !== 204 && !redirect) {
    try { text = await res.text(); } catch { text = ''; }
  }
  let body = text;
  try { body = text ? JSON.parse(text) : text; } catch { body = text; }
  return { method: req.method(), path: url.pathname + url.search, status: res.status(), requestBody,
    contentType: res.headers()['content-type'], body };
}

async function newPage(errors, label) {
  // The browser prefers the walk's language (Accept-Language, navigator.languages).
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 },
    locale: lang === 'zh-CN' ? 'zh-CN' : 'en-US' });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      // A failed API call logs "Failed to load resource ... 4xx": those are
      // answers the test provokes, not page faults.
      const text = msg.text();
      if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
      errors.push(`[${label}] ${msg.type()}: ${text}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`[${label}] pageerror: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`[${label}] requestfailed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => exchanges.push(browserExchange(res)));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}

async function signIn(page, account, { shot } = {}) {
  await page.goto(base + '/');
  check(new URL(page.url()).pathname === '/console', `${account.username}: / leads to /console`, page.url());
  await page.waitForSelector('#login');
  check(await page.getAttribute('html', 'lang') === lang, `${account.username}: <html lang="${lang}">`);
  check(await page.textContent('#login h1') === M('login.title') && await page.textContent('#login-submit') === M('login.submit'),
    `${account.username}: the sign-in form is in ${lang}`);
  if (shot) {
    await checkNoEnglish(page, 'sign-in');
    await readmeShot(page, 'console-login.png');
  }
  await page.fill('#username', account.username);
  await page.fill('#password', account.password);
  await page.fill('#totp', await nextCode(account));
  await page.click('#login-submit');
  await page.waitForSelector('#logout:not([hidden])', { timeout: 10000 });
}

async function noticeCode(page) {
  await page.waitForSelector('#notice:not([hidden])', { timeout: 10000 });
  return page.getAttribute('#notice', 'data-code');
}

async function statePurpose(page, kind, reference, reason) {
  await page.selectOption('#purpose-kind', kind);
  await page.fill('#purpose-reference', reference);
  await page.fill('#purpose-reason', reason || '');
}

async function signOut(page, label) {
  await page.click('#logout');
  await page.waitForSelector('#login');
  const csp = await page.evaluate(() => window.__csp);
  check(csp.length === 0, `${label}: no CSP violations`, csp.join('; '));
  await page.context().close();
}

// ---- The checks
async function checkServing() {
  const index = await api('GET', '/console');
  check(index.status === 200 && index.headers.get('content-type').startsWith('text/html'), 'GET /console is the HTML page');
  const csp = index.headers.get('content-security-policy') || '';
  check(/default-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp) && !/unsafe-inline|unsafe-eval/.test(csp),
    'the page carries the strict CSP', csp);
  check(index.headers.get('cache-control') === 'no-store', 'the page is not cacheable');
  check(index.headers.get('x-content-type-options') === 'nosniff', 'nosniff');
  const js = await api('GET', '/console/app.js');
  check(js.status === 200 && js.headers.get('content-type').startsWith('text/javascript'), 'scripts are served as JavaScript');
  const css = await api('GET', '/console/console.css');
  check(css.status === 200 && css.headers.get('content-type').startsWith('text/css'), 'the stylesheet is served as CSS');
  const root = await rawGet('/');
  check(root.status === 302 && root.headers.location === '/console', 'GET / redirects to /console', `${root.status} ${root.headers.location}`);
  for (const target of ['/console/nope.js', '/console/index.html.bak', '/console/CMakeLists.txt']) {
    const r = await rawGet(target);
    check(r.status === 404, `${target} is 404`, String(r.status));
  }
  // A person typing "/console/" is sent to the console; the slash serves nothing itself.
  const slash = await rawGet('/console/');
  check(slash.status === 301 && slash.headers.location === '/console', '/console/ leads to /console',
    `${slash.status} ${slash.headers.location}`);
  check(!slash.body.includes('<html'), '/console/ serves no file itself');
  for (const target of ['/console/../v1/audit', '/console/..%2F..%2Fetc%2Fpasswd',
    '/console/%2e%2e', '/console//app.js']) {
    const r = await rawGet(target);
    check(r.status === 400 || r.status === 404, `${target} is refused`, String(r.status));
    check(!r.body.includes('<html') && !r.body.includes('import '), `${target} serves no file`);
  }
  const head = await rawGet('/console/app.js?x=1');
  check(head.status === 200, 'a query string does not change the file');
  // The console's own code: no HTML parsing of data, no eval.
  for (const name of fs.readdirSync(path.join(WEB_DIR, 'console'))) {
    if (!name.endsWith('.js')) continue;
    const src = fs.readFileSync(path.join(WEB_DIR, 'console', name), 'utf8');
    let code = src.replace(/^\s*\/\/.*$/gm, '');
    // The one thing kept in the browser: the chosen language, under its one key.
    if (name === 'i18n.js') code = code.replace(/window\.localStorage\.(getItem\(STORAGE_KEY\)|setItem\(STORAGE_KEY, next\))/g, '');
    const bad = /\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML\(|document\.write|\beval\(|new Function\(|Storage\.|document\.cookie|\.setAttribute\(\s*['"]style/.exec(code);
    check(!bad, `${name} uses no HTML sinks, eval or persistent storage`, bad && bad[0]);
  }
  const html = fs.readFileSync(path.join(WEB_DIR, 'console', 'index.html'), 'utf8');
  check(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html) && !/\sstyle=|\son[a-z]+=/.test(html), 'index.html has no inline script, style or handler');
}

async function securityOfficer(ctx, errors) {
  const { acc } = ctx;
  const inv = acc.investigators[lang];
  const page = await newPage(errors, 'security officer');
  await signIn(page, acc.so2);
  await page.waitForSelector('#accounts-list table');
  const listed = await page.textContent('#accounts-list');
  check(['so.alice', 'off.oscar', 'inv.ivy', 'aud.audrey'].every((u) => listed.includes(u)), 'accounts are listed');
  // Approve the investigator account that the first officer asked for: the
  // approval shows the other half of its enrolment code, once.
  await page.waitForSelector(`#pending-requests button[data-request="${inv.requestId}"]`);
  check((await page.textContent('#pending-requests')).includes(M('admin.change.create_account')),
    'the waiting change is named in the walk\'s language');
  await checkNoEnglish(page, 'administration');
  await page.click(`#pending-requests button[data-request="${inv.requestId}"]`);
  await page.waitForSelector('#enrolment-code-part');
  const halfB = (await page.textContent('#enrolment-code-part')).trim();
  check(halfB.startsWith('wdn_e_') && halfB !== inv.halfA, 'the approving officer sees the other half of the code', halfB);
  check(true, 'a second security officer approved the investigator account in the console');
  // The holder enrols on the console's enrolment page with both halves.
  const enrolPage = await newPage(errors, 'enrolment');
  await enrolPage.goto(base + '/console');
  await enrolPage.click('#show-enrol');
  await enrolPage.fill('#enrol input[name=username]', inv.username);
  await enrolPage.fill('#enrol input[name=half_a]', inv.halfA);
  await enrolPage.fill('#enrol input[name=half_b]', halfB);
  await enrolPage.fill('#enrol input[name=password]', inv.password);
  await enrolPage.fill('#enrol input[name=repeat]', inv.password);
  await enrolPage.click('#enrol-submit');
  await enrolPage.waitForSelector('#enrolled-secret');
  const qrModules = await enrolPage.getAttribute('#enrolled-qr svg path', 'd');
  check(/^M\d+ \d+h1v1h-1z/.test(qrModules || '') && qrModules.length > 1000,
    'the enrolment page draws the secret as a QR code', (qrModules || '').slice(0, 80));
  inv.totp = (await enrolPage.textContent('#enrolled-secret')).trim();
  check(/^[A-Z2-7]{32}$/.test(inv.totp), 'the holder enrolled in the console and got their TOTP secret', inv.totp);
  check(await enrolPage.textContent('#enrol h1') === M('enrol.title'), 'the enrolment page is in the walk\'s language');
  await checkNoEnglish(enrolPage, 'enrolment');
  await enrolPage.screenshot({ path: path.join(OUT, `console_enrol_${lang}.png`), fullPage: true });
  await enrolPage.close();
  // A per-account quota for the officer.
  const row = page.locator('#accounts-list tr', { hasText: acc.officer.id });
  // The quota boxes show the limits in force, as the server reports them.
  const inForce = await must('GET', `/v1/admin/accounts/${acc.officer.id}`, { token: ctx.so1Token });
  const shownQuota = await row.locator('input[name=daily_read_quota]').inputValue();
  const shownCap = await row.locator('input[name=result_cap]').inputValue();
  check(inForce.daily_read_quota > 0 && shownQuota === String(inForce.daily_read_quota) && shownCap === String(inForce.result_cap),
    'the quota boxes show the current limits', `${shownQuota}/${shownCap} vs ${inForce.daily_read_quota}/${inForce.result_cap}`);
  await row.locator('input[name=daily_read_quota]').fill('400');
  await row.locator('input[name=result_cap]').fill('15');
  const [patched] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH'),
    row.locator('button[data-act=set]').click(),
  ]);
  check(patched.status() === 200, 'a narrower quota applies at once', String(patched.status()));
  check((await patched.json()).applied === true, 'the answer says it is applied');
  // A security officer may not grant to itself: the API's refusal is shown.
  const own = page.locator('#accounts-list tr', { hasText: acc.so2.id });
  await own.locator('select[name=role]').selectOption('auditor');
  await own.locator('button[data-act=grant]').click();
  const refused = await noticeCode(page);
  check(refused === 'self_grant', 'granting a role to oneself is refused with the API error code (self_grant)', refused);
  check((await page.textContent('#notice')).includes(M('error.self_grant')), 'the refusal is explained in the walk\'s language');
  await page.waitForSelector('#alerts-list p, #alerts-list table');
  await checkNoEnglish(page, 'administration after changes');
  await page.screenshot({ path: path.join(OUT, `console_admin_${lang}.png`), fullPage: true });
  await signOut(page, 'security officer');
  // The quota really is on the account.
  const acct = await must('GET', `/v1/admin/accounts/${acc.officer.id}`, { token: ctx.so1Token });
  check(acct.account_id === acc.officer.id && acct.daily_read_quota === 400 && acct.result_cap === 15,
    'the new quota is on the account', JSON.stringify(acct));
}

async function officer(ctx, errors) {
  const { acc, persons, withCase } = ctx;
  const page = await newPage(errors, 'officer');
  await signIn(page, acc.officer, { shot: true });
  const who = await page.textContent('#who');
  check(who.includes('off.oscar') && who.includes(M('role.officer')), 'the header names the account and its role', who);
  check(await page.textContent('#nav button') === M('section.records'), 'the section is named in the walk\'s language');
  const person = persons[withCase >= 0 ? withCase : 0];
  const reference = lang === 'zh-CN' ? 'E2E-2024-0042' : 'E2E-2024-0052';

  // No purpose stated: the server refuses and the console says why.
  await page.fill('#lookup-id', person.national_id);
  await page.click('#lookup button[type=submit]');
  const code = await noticeCode(page);
  check(code === 'purpose_required', 'a look-up without a purpose is refused (purpose_required)', code);
  check((await page.textContent('#notice')).includes(M('error.purpose_required')), 'the refusal is explained in the walk\'s language');
  await checkNoEnglish(page, 'a refused look-up');
  check(await page.$('#results .person') === null, 'nothing is shown without a purpose');
  check(await page.getAttribute('#purpose', 'class').then((c) => c.includes('flagged')), 'the purpose panel is flagged');

  await statePurpose(page, 'case', reference, '核查报案人身份 follow-up');
  await page.click('#lookup button[type=submit]');
  await page.waitForSelector('#results .person');
  check(await page.isHidden('#notice') && !(await page.getAttribute('#purpose', 'class')).includes('flagged'),
    'once a purpose is stated the refusal is cleared');
  const shownId = await page.textContent('#results .person .value[data-field=national_id]');
  const shownName = await page.textContent('#results .person .value[data-field=name]');
  check(shownId !== person.national_id && /^\d{2}\*{16}$/.test(shownId), 'the national ID is masked', shownId);
  check(shownName !== person.name && shownName.includes('*'), 'the name is masked', shownName);
  const pageText = await page.textContent('main');
  check(!pageText.includes(person.national_id.slice(3, 14)), 'the full ID appears nowhere on the page');
  check(await page.$('button.reveal') === null, 'an officer gets no reveal button');
  check(await page.textContent('#results .person th') === M('field.national_id'), 'fields are labelled in the walk\'s language');
  await checkNoEnglish(page, 'a masked record');
  await readmeShot(page, 'console-record.png');
  await page.click('#results .person .card-head button');
  await page.waitForSelector('#results .cases h4');
  const caseRows = (await page.$$('#results .cases tbody tr')).length;
  const casesHeading = await page.textContent('#results .cases h4');
  check(withCase >= 0 && caseRows > 0 && casesHeading === M('records.casesCount', { n: caseRows }),
    "the person's cases are listed", casesHeading);

  // Search by phone.
  await page.selectOption('#search-mode', 'phone');
  check((await page.$$eval('#search-mode option', (o) => o.map((x) => x.value))).includes('name') === false,
    'an officer cannot search by name alone');
  await page.fill('#search-phone', persons[2].phones[0]);
  await page.click('#search button[type=submit]');
  await page.waitForSelector('#results .summary');
  const summary = await page.textContent('#results .summary');
  const found = Number(await page.getAttribute('#results .summary', 'data-count'));
  check(found > 0 && summary.startsWith(M('records.results', { n: found })), 'a phone search finds the person', summary);
  const phones = await page.textContent('#results .person .value[data-field=phones]');
  check(!phones.includes(persons[2].phones[0].slice(-8, -4)) && phones.includes('*'), 'phones are masked in results', phones);
  await checkNoEnglish(page, 'search results');
  // A result opens by the handle the server gave it: an audited read, and
  // the full ID still appears nowhere.
  const [opened] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'GET' && /\/v1\/persons\/h_/.test(r.url())),
    page.click('#results .person button.open'),
  ]);
  check(opened.status() === 200, 'a search result opens by its handle', String(opened.status()));
  await page.waitForSelector('#results .person .card-head button:not(.open)');
  await page.click('#results .person .card-head button');
  await page.waitForSelector('#results .cases h4');
  check(!(await page.textContent('main')).includes(persons[2].national_id.slice(3, 14)),
    'the opened result shows no full ID');
  await page.screenshot({ path: path.join(OUT, `console_officer_${lang}.png`), fullPage: true });
  await signOut(page, 'officer');
  return { person, reference: `case/${reference}`, reason: '核查报案人身份 follow-up' };
}

async function investigator(ctx, errors) {
  const { acc, persons } = ctx;
  const page = await newPage(errors, 'investigator');
  await signIn(page, acc.investigators[lang]);
  await statePurpose(page, 'case', 'E2E-2024-0043');
  const person = persons[1];
  await page.fill('#lookup-id', person.national_id);
  await page.click('#lookup button[type=submit]');
  await page.waitForSelector('#results .person button.reveal');
  const masked = await page.textContent('.value[data-field=name]');
  check(masked !== person.name, 'the investigator also starts from masked values');
  await page.click('button.reveal[data-field=name]');
  await page.waitForSelector('.value.revealed[data-field=name]');
  check(await page.textContent('.value[data-field=name]') === person.name, 'Reveal shows the name unmasked');
  check(await page.textContent('.value[data-field=national_id]') !== person.national_id, 'other fields stay masked');
  await checkNoEnglish(page, 'a revealed field');
  // The hostile note: shown as text, never run or parsed.
  await page.click('button.reveal[data-field=notes]');
  await page.waitForSelector('.value.revealed[data-field=notes]');
  const note = await page.textContent('.value[data-field=notes]');
  check(note === person.notes, 'a revealed value with markup is shown as text', note);
  check(await page.$('#xss') === null && await page.$('#results b') === null, 'no element was made from data');
  check(await page.evaluate(() => window.__xss === undefined), 'no script ran from data');
  await page.screenshot({ path: path.join(OUT, `console_investigator_${lang}.png`), fullPage: true });
  check((await page.$$eval('#search-mode option', (o) => o.map((x) => x.value))).includes('name'), 'an investigator may search by name alone');
  await page.selectOption('#search-mode', 'name');
  await page.fill('#search-name', persons[3].name);
  await page.click('#search button[type=submit]');
  await page.waitForSelector('#results .summary');
  check(Number(await page.getAttribute('#results .summary', 'data-count')) > 0, 'a name-only search finds the person');
  await signOut(page, 'investigator');
}

async function auditor(ctx, read, errors) {
  const { acc } = ctx;
  const page = await newPage(errors, 'auditor');
  await signIn(page, acc.auditor);
  check(await page.$('#lookup') === null, 'an auditor gets no look-up form');
  await page.click('#verify button[type=submit]');
  await page.waitForSelector('#verify-result .verdict');
  check(await page.getAttribute('#verify-result .verdict', 'data-ok') === 'true' &&
    await page.textContent('#verify-result .verdict') === M('audit.intact'), 'the trail verifies');
  await page.selectOption('#trail-action', 'read');
  await page.click('#trail button[type=submit]');
  await page.waitForSelector('#trail-entries table, #trail-entries p');
  const rows = await page.$$eval('#trail-entries tbody tr', (trs) => trs.map((tr) => ({
    text: tr.textContent, purpose: tr.querySelector('[data-purpose]')?.dataset.purpose, time: tr.cells[1].textContent,
  })));
  const hit = rows.find((r) => r.text.includes(acc.officer.id) && r.purpose === read.reference);
  check(!!hit, "the officer's read is in the trail with its purpose", rows.slice(0, 3).map((r) => r.text).join(' | '));
  check(!!hit && hit.text.includes(read.reason), 'the stated reason arrives intact (UTF-8)', hit && hit.text);
  check(!!hit && hit.text.includes(acc.officer.username), 'the trail names the account by username beside its id', hit && hit.text);
  check(!!hit && hit.text.includes(M('action.read')) && hit.text.includes(M('role.officer')),
    'actions and roles are named in the walk\'s language', hit && hit.text);
  // Times as the locale writes them (Intl), in UTC.
  const timeForm = lang === 'zh-CN' ? /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/ : /^\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}:\d{2}$/;
  check(rows.length > 0 && rows.every((r) => timeForm.test(r.time)), `trail times are in the ${lang} form`, rows[0] && rows[0].time);
  await checkNoEnglish(page, 'the audit trail');
  await readmeShot(page, 'console-audit.png');
  // Access report for the person the officer read.
  await page.fill('#report-id', read.person.national_id);
  await page.click('#access-report button[type=submit]');
  const code = await noticeCode(page);
  check(code === 'purpose_required', 'the access report needs a purpose', code);
  await statePurpose(page, 'audit', 'E2E-AUD-7');
  await page.click('#access-report button[type=submit]');
  await page.waitForSelector('#report-result table');
  const report = await page.textContent('#report-result');
  const purposes = await page.$$eval('#report-result [data-purpose]', (els) => els.map((e) => e.dataset.purpose));
  check(report.includes(acc.officer.id) && report.includes(acc.officer.username) && purposes.includes(read.reference),
    'the access report names the officer (username and id) and the purpose');
  await checkNoEnglish(page, 'the access report');
  const pageText = await page.textContent('main');
  check(!pageText.includes(read.person.national_id), 'the trail shows no national ID in the clear');
  await page.screenshot({ path: path.join(OUT, `console_auditor_${lang}.png`), fullPage: true });
  await signOut(page, 'auditor');
}

async function sessionEnds(ctx, errors) {
  // After logout the token is dead on the server, and nothing was persisted in the browser.
  const page = await newPage(errors, 'logout');
  await signIn(page, ctx.acc.officer);
  const stored = await page.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
  }));
  check(stored.local === 0 && stored.session === 0 && stored.cookie === '', 'the token is kept in memory only', JSON.stringify(stored));
  const tokens = [];
  page.on('request', (req) => {
    const a = req.headers().authorization;
    if (a) tokens.push(a.slice(7));
  });
  await statePurpose(page, 'case', 'E2E-2024-0044');
  await page.fill('#lookup-id', ctx.persons[0].national_id);
  await page.click('#lookup button[type=submit]');
  await page.waitForSelector('#results .person');
  await page.click('#logout');
  await page.waitForSelector('#login');
  check(await page.isVisible('#notice') && (await page.textContent('#notice')).includes(M('app.signedOut')), 'logging out says so');
  const after = await api('GET', `/v1/persons/${ctx.persons[0].national_id}`, { token: tokens[0], purpose: 'case/E2E-2024-0044' });
  check(tokens.length > 0 && after.status === 401, 'the token no longer works after logout', String(after.status));
  await page.context().close();
}

// Every recorded exchange against docs/openapi.yaml.
function checkAgainstDocument(recorded) {
  const checker = new OpenApiChecker(WEB_DIR, path.join(here, '..', '..', 'docs', 'openapi.yaml'));
  for (const x of recorded) checker.check(x);
  check(checker.checked > 50, `the run made API calls to check (${checker.checked})`);
  check(checker.problems.length === 0,
    `all ${checker.checked} API exchanges (${checker.covered.size} operations) match docs/openapi.yaml`,
    checker.problems.join('\n    '));
}

// The two message tables have the same keys and placeholders, and every
// console file gets its text through i18n.js.
function checkMessageTables() {
  const zh = MESSAGES['zh-CN'];
  const en = MESSAGES.en;
  const missing = Object.keys(zh).filter((k) => !(k in en)).concat(Object.keys(en).filter((k) => !(k in zh)));
  check(missing.length === 0, 'the Chinese and English message tables have the same keys', missing.join(', '));
  const holes = (text) => (text.match(/\{\w+\}/g) || []).sort().join();
  const differ = Object.keys(zh).filter((k) => k in en && holes(zh[k]) !== holes(en[k]));
  check(differ.length === 0, 'each message has the same placeholders in both languages', differ.join(', '));
  const nonChinese = Object.entries(zh).filter(([, v]) => /[A-Za-z]{3,} [A-Za-z]{3,}/.test(v)).map(([k]) => k);
  check(nonChinese.length === 0, 'no Chinese message is left in English', nonChinese.join(', '));
}

// The language follows the browser until chosen; the choice is remembered,
// sets <html lang>, and keeps the session.
async function languageSwitch(ctx, errors) {
  lang = 'zh-CN';
  const page = await newPage(errors, 'language');
  await page.goto(base + '/console');
  await page.waitForSelector('#login');
  check(await page.getAttribute('html', 'lang') === 'zh-CN' && await page.textContent('#login h1') === MESSAGES['zh-CN']['login.title'],
    'a browser preferring Chinese gets the Chinese console');
  await page.selectOption('#lang', 'en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  check(await page.textContent('#login h1') === MESSAGES.en['login.title'] && await page.textContent('#logout') === MESSAGES.en['app.logout'],
    'switching to English re-renders the page in English');
  await page.reload();
  await page.waitForSelector('#login');
  check(await page.getAttribute('html', 'lang') === 'en' && await page.textContent('#login h1') === MESSAGES.en['login.title'],
    'the choice is remembered across a reload');
  const stored = await page.evaluate(() => Object.keys(localStorage));
  check(stored.length === 1 && stored[0] === 'warden.locale', 'only the language is stored in the browser', stored.join(', '));
  lang = 'en';
  await signIn(page, ctx.acc.officer);
  await page.selectOption('#lang', 'zh-CN');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  check(await page.isVisible('#logout') && await page.textContent('#nav button') === MESSAGES['zh-CN']['section.records'],
    'switching language while signed in keeps the session');
  await page.context().close();
}

async function main() {
  if (!WARDEN) die('set WARDEN_BIN to the warden binary');
  if (!fs.existsSync(CHROMIUM)) die(`no browser at ${CHROMIUM}: apt-get install chromium (scripts/bootstrap)`);
  let playwright;
  try {
    playwright = createRequire(path.join(WEB_DIR, 'package.json'))('playwright-core');
  } catch {
    die(`playwright-core is not installed: run (cd ${WEB_DIR} && npm ci)`);
    return;
  }
  fs.mkdirSync(OUT, { recursive: true });
  ({ MESSAGES } = await import(pathToFileURL(path.join(WEB_DIR, 'console', 'messages.js')).href));
  checkMessageTables();
  const started = Date.now();
  const token = await startServer();
  console.log(`server on ${base}`);
  const ctx = await setUp(token);
  await checkServing();
  browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  for (const walk of ['zh-CN', 'en']) {
    lang = walk;
    console.log(`-- the walk in ${walk}`);
    await securityOfficer(ctx, errors);
    const read = await officer(ctx, errors);
    await investigator(ctx, errors);
    await auditor(ctx, read, errors);
    await sessionEnds(ctx, errors);
  }
  await languageSwitch(ctx, errors);
  check(errors.length === 0, 'no console errors, CSP reports or failed requests in any page', errors.join('\n    '));
  checkAgainstDocument(await Promise.all(exchanges));
  console.log(`${checks - failures}/${checks} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${OUT}`);
}

const timer = setTimeout(() => die('timed out after 280 s'), 280_000);
main()
  .catch((err) => { failures++; console.error(`console_e2e: ${err.stack || err}`); })
  .finally(async () => {
    clearTimeout(timer);
    await cleanup();
    process.exit(failures ? 1 : 0);
  });
