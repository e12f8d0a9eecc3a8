// The web console end to end, in a real browser.
//
// Starts a development-mode Warden on a free loopback port, creates accounts
// of every console role and synthetic persons and cases through the API,
// then drives Debian's Chromium (through playwright-core) as a security
// officer, an officer, an investigator and an auditor, and checks what SPEC
// §5 asks of the console: password + TOTP login, a stated purpose before any
// personal data (the server refuses a look-up without one), masked results,
// an explicit reveal, a person's cases, the trail with the officer's read in
// it, its verification, the access report, accounts and quotas — all under
// the server's Content-Security-Policy with not one console error, and
// every value escaped. Screenshots go to WARDEN_TEST_OUT.
//
// Environment:
//   WARDEN_BIN       the warden binary (required)
//   WARDEN_WEB_DIR   the web/ folder holding node_modules (default: ../../web)
//   WARDEN_TEST_OUT  where screenshots and the server log go (default: a temp dir)
//   CHROMIUM         the browser (default: /usr/bin/chromium)
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const WARDEN = process.env.WARDEN_BIN;
const WEB_DIR = path.resolve(process.env.WARDEN_WEB_DIR || path.join(here, '..', '..', 'web'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-console-'));
const OUT = process.env.WARDEN_TEST_OUT || work;

let server = null;
let stopping = false;
let browser = null;
let failures = 0;
let checks = 0;

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
  acc.investigator = mk('inv.ivy', 'investigator');
  acc.auditor = mk('aud.audrey', 'auditor');
  await create(acc.registrar, ['registrar']);
  await create(acc.officer, ['officer']);
  await create(acc.auditor, ['auditor']);
  // The investigator is approved by the second officer in the browser, and
  // enrols on the console's enrolment page.
  await create(acc.investigator, ['investigator'], true);

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
  return { acc, persons, cases, withCase };
}

// ---- Browser helpers
async function newPage(errors, label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}

async function signIn(page, account) {
  await page.goto(base + '/');
  check(new URL(page.url()).pathname === '/console', `${account.username}: / leads to /console`, page.url());
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
    const code = src.replace(/^\s*\/\/.*$/gm, '');
    const bad = /\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML\(|document\.write|\beval\(|new Function\(|Storage\.|document\.cookie|\.setAttribute\(\s*['"]style/.exec(code);
    check(!bad, `${name} uses no HTML sinks, eval or persistent storage`, bad && bad[0]);
  }
  const html = fs.readFileSync(path.join(WEB_DIR, 'console', 'index.html'), 'utf8');
  check(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html) && !/\sstyle=|\son[a-z]+=/.test(html), 'index.html has no inline script, style or handler');
}

async function securityOfficer(ctx, errors) {
  const { acc } = ctx;
  const page = await newPage(errors, 'security officer');
  await signIn(page, acc.so2);
  await page.waitForSelector('#accounts-list table');
  const listed = await page.textContent('#accounts-list');
  check(['so.alice', 'off.oscar', 'inv.ivy', 'aud.audrey'].every((u) => listed.includes(u)), 'accounts are listed');
  // Approve the investigator account that the first officer asked for: the
  // approval shows the other half of its enrolment code, once.
  await page.waitForSelector(`#pending-requests button[data-request="${acc.investigator.requestId}"]`);
  await page.click(`#pending-requests button[data-request="${acc.investigator.requestId}"]`);
  await page.waitForSelector('#enrolment-code-part');
  const halfB = (await page.textContent('#enrolment-code-part')).trim();
  check(halfB.startsWith('wdn_e_') && halfB !== acc.investigator.halfA, 'the approving officer sees the other half of the code', halfB);
  check(true, 'a second security officer approved the investigator account in the console');
  // The holder enrols on the console's enrolment page with both halves.
  const enrolPage = await newPage(errors, 'enrolment');
  await enrolPage.goto(base + '/console');
  await enrolPage.click('#show-enrol');
  await enrolPage.fill('#enrol input[name=username]', acc.investigator.username);
  await enrolPage.fill('#enrol input[name=half_a]', acc.investigator.halfA);
  await enrolPage.fill('#enrol input[name=half_b]', halfB);
  await enrolPage.fill('#enrol input[name=password]', acc.investigator.password);
  await enrolPage.fill('#enrol input[name=repeat]', acc.investigator.password);
  await enrolPage.click('#enrol-submit');
  await enrolPage.waitForSelector('#enrolled-secret');
  acc.investigator.totp = (await enrolPage.textContent('#enrolled-secret')).trim();
  check(/^[A-Z2-7]{32}$/.test(acc.investigator.totp), 'the holder enrolled in the console and got their TOTP secret', acc.investigator.totp);
  await enrolPage.screenshot({ path: path.join(OUT, 'console_enrol.png'), fullPage: true });
  await enrolPage.close();
  // A per-account quota for the officer.
  const row = page.locator('#accounts-list tr', { hasText: acc.officer.id });
  await row.locator('input[name=daily_read_quota]').fill('400');
  await row.locator('input[name=result_cap]').fill('15');
  const [patched] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH'),
    row.locator('button', { hasText: 'Set' }).click(),
  ]);
  check(patched.status() === 200, 'a narrower quota applies at once', String(patched.status()));
  check((await patched.json()).applied === true, 'the answer says it is applied');
  // A security officer may not grant to itself: the API's refusal is shown.
  const own = page.locator('#accounts-list tr', { hasText: acc.so2.id });
  await own.locator('select[name=role]').selectOption('auditor');
  await own.locator('button', { hasText: 'Grant' }).click();
  const refused = await noticeCode(page);
  check(refused === 'self_grant', 'granting a role to oneself is refused with the API error code (self_grant)', refused);
  await page.waitForSelector('#alerts-list p, #alerts-list table');
  await page.screenshot({ path: path.join(OUT, 'console_admin.png'), fullPage: true });
  await signOut(page, 'security officer');
  // The quota really is on the account.
  const so1 = await login(acc.so1);
  const acct = await must('GET', `/v1/admin/accounts/${acc.officer.id}`, { token: so1 });
  check(acct.account_id === acc.officer.id, 'the officer account is readable after the change');
}

async function officer(ctx, errors) {
  const { acc, persons, withCase } = ctx;
  const page = await newPage(errors, 'officer');
  await signIn(page, acc.officer);
  const who = await page.textContent('#who');
  check(who.includes('off.oscar') && who.includes('officer'), 'the header names the account and its role');
  const person = persons[withCase >= 0 ? withCase : 0];

  // No purpose stated: the server refuses and the console says why.
  await page.fill('#lookup-id', person.national_id);
  await page.click('#lookup button[type=submit]');
  const code = await noticeCode(page);
  check(code === 'purpose_required', 'a look-up without a purpose is refused (purpose_required)', code);
  check(await page.$('#results .person') === null, 'nothing is shown without a purpose');
  check(await page.getAttribute('#purpose', 'class').then((c) => c.includes('flagged')), 'the purpose panel is flagged');

  await statePurpose(page, 'case', 'E2E-2024-0042', '核查报案人身份 follow-up');
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
  await page.click('#results .person .card-head button');
  await page.waitForSelector('#results .cases h4');
  const casesText = await page.textContent('#results .cases');
  check(withCase < 0 || /Cases \([1-9]/.test(casesText), "the person's cases are listed", casesText.slice(0, 80));

  // Search by phone.
  await page.selectOption('#search-mode', 'phone');
  check((await page.$$eval('#search-mode option', (o) => o.map((x) => x.value))).includes('name') === false,
    'an officer cannot search by name alone');
  await page.fill('#search-phone', persons[2].phones[0]);
  await page.click('#search button[type=submit]');
  await page.waitForSelector('#results .summary');
  const summary = await page.textContent('#results .summary');
  check(/^[1-9]\d* result/.test(summary), 'a phone search finds the person', summary);
  const phones = await page.textContent('#results .person .value[data-field=phones]');
  check(!phones.includes(persons[2].phones[0].slice(-8, -4)) && phones.includes('*'), 'phones are masked in results', phones);
  await page.screenshot({ path: path.join(OUT, 'console_officer.png'), fullPage: true });
  await signOut(page, 'officer');
  return { person, reference: 'case/E2E-2024-0042', reason: '核查报案人身份 follow-up' };
}

async function investigator(ctx, errors) {
  const { acc, persons } = ctx;
  const page = await newPage(errors, 'investigator');
  await signIn(page, acc.investigator);
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
  // The hostile note: shown as text, never run or parsed.
  await page.click('button.reveal[data-field=notes]');
  await page.waitForSelector('.value.revealed[data-field=notes]');
  const note = await page.textContent('.value[data-field=notes]');
  check(note === person.notes, 'a revealed value with markup is shown as text', note);
  check(await page.$('#xss') === null && await page.$('#results b') === null, 'no element was made from data');
  check(await page.evaluate(() => window.__xss === undefined), 'no script ran from data');
  await page.screenshot({ path: path.join(OUT, 'console_investigator.png'), fullPage: true });
  check((await page.$$eval('#search-mode option', (o) => o.map((x) => x.value))).includes('name'), 'an investigator may search by name alone');
  await page.selectOption('#search-mode', 'name');
  await page.fill('#search-name', persons[3].name);
  await page.click('#search button[type=submit]');
  await page.waitForSelector('#results .summary');
  check(/^[1-9]\d* result/.test(await page.textContent('#results .summary')), 'a name-only search finds the person');
  await signOut(page, 'investigator');
}

async function auditor(ctx, read, errors) {
  const { acc } = ctx;
  const page = await newPage(errors, 'auditor');
  await signIn(page, acc.auditor);
  check(await page.$('#lookup') === null, 'an auditor gets no look-up form');
  await page.click('#verify button[type=submit]');
  await page.waitForSelector('#verify-result .verdict');
  check(await page.textContent('#verify-result .verdict') === 'Chain intact', 'the trail verifies');
  await page.selectOption('#trail-action', 'read');
  await page.click('#trail button[type=submit]');
  await page.waitForSelector('#trail-entries table, #trail-entries p');
  const rows = await page.$$eval('#trail-entries tbody tr', (trs) => trs.map((tr) => tr.textContent));
  const hit = rows.find((t) => t.includes(acc.officer.id) && t.includes(read.reference));
  check(!!hit, "the officer's read is in the trail with its purpose", rows.slice(0, 3).join(' | '));
  check(!!hit && hit.includes(read.reason), 'the stated reason arrives intact (UTF-8)', hit);
  // Access report for the person the officer read.
  await page.fill('#report-id', read.person.national_id);
  await page.click('#access-report button[type=submit]');
  const code = await noticeCode(page);
  check(code === 'purpose_required', 'the access report needs a purpose', code);
  await statePurpose(page, 'audit', 'E2E-AUD-7');
  await page.click('#access-report button[type=submit]');
  await page.waitForSelector('#report-result table');
  const report = await page.textContent('#report-result');
  check(report.includes(acc.officer.id) && report.includes(read.reference), 'the access report names the officer and the purpose');
  const pageText = await page.textContent('main');
  check(!pageText.includes(read.person.national_id), 'the trail shows no national ID in the clear');
  await page.screenshot({ path: path.join(OUT, 'console_auditor.png'), fullPage: true });
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
  check(await page.isVisible('#notice') && (await page.textContent('#notice')).includes('signed out'), 'logging out says so');
  const after = await api('GET', `/v1/persons/${ctx.persons[0].national_id}`, { token: tokens[0], purpose: 'case/E2E-2024-0044' });
  check(tokens.length > 0 && after.status === 401, 'the token no longer works after logout', String(after.status));
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
  await securityOfficer(ctx, errors);
  const read = await officer(ctx, errors);
  await investigator(ctx, errors);
  await auditor(ctx, read, errors);
  await sessionEnds(ctx, errors);
  check(errors.length === 0, 'no console errors, CSP reports or failed requests in any page', errors.join('\n    '));
  console.log(`${checks - failures}/${checks} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${OUT}`);
}

const timer = setTimeout(() => die('timed out after 240 s'), 240_000);
main()
  .catch((err) => { failures++; console.error(`console_e2e: ${err.stack || err}`); })
  .finally(async () => {
    clearTimeout(timer);
    await cleanup();
    process.exit(failures ? 1 : 0);
  });
