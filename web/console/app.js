// The console's entry point: the login form, then the sections the
// account's roles allow. The server decides every permission; the console
// only leaves out what a role cannot use.
import * as api from './api.js';
import { h, replace, field, formValues, busy } from './dom.js';
import { guarded, showInfo, clearNotice } from './notice.js';
import { renderRecords } from './records.js';
import { renderAudit } from './audit.js';
import { renderAdmin } from './admin.js';
import { t, locale, setLocale, onLocaleChange, roleName, formatTime } from './i18n.js';

const SECTIONS = [
  { id: 'records', roles: ['officer', 'investigator'], render: renderRecords },
  { id: 'audit', roles: ['auditor'], render: renderAudit },
  { id: 'admin', roles: ['security_officer'], render: renderAdmin },
];

const main = () => document.getElementById('main');

function renderLogin() {
  const form = h('form', {
    class: 'card login', id: 'login',
    onsubmit: (e) => {
      e.preventDefault();
      busy(form, () => guarded(async () => {
        const v = formValues(form);
        form.elements.password.value = '';
        form.elements.totp.value = '';
        await api.login(v.username, v.password, v.totp);
      }));
    },
  },
  h('h1', {}, t('login.title')),
  h('p', { class: 'hint' }, t('login.hint')),
  field(t('login.username'), h('input', { name: 'username', id: 'username', required: true, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' })),
  field(t('login.password'), h('input', { name: 'password', id: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
  field(t('login.code'), h('input', { name: 'totp', id: 'totp', required: true, autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]{6,8}', maxlength: 8 })),
  h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login.submit')),
  h('p', { class: 'hint' }, t('login.newAccount'), ' ',
    h('button', { type: 'button', class: 'link', id: 'show-enrol', onclick: renderEnrol }, t('login.enrolLink'))));
  replace(main(), form);
  replace(document.getElementById('nav'));
  form.elements.username.focus();
}

// The enrolment's QR code, drawn from the server's SVG without parsing it as
// markup: only its viewBox and its one path, each checked to be numbers and
// path commands, are copied into elements made here.
function qrImage(svgText) {
  const box = /viewBox="([0-9 ]+)"/.exec(svgText || '');
  const modules = /<path fill="#000" d="([Mhvz0-9 -]+)"/.exec(svgText || '');
  if (!box || !modules) return null;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', box[1]);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('enrol.qr'));
  const background = document.createElementNS(ns, 'rect');
  background.setAttribute('width', '100%');
  background.setAttribute('height', '100%');
  background.setAttribute('fill', '#fff');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('fill', '#000');
  path.setAttribute('d', modules[1]);
  svg.append(background, path);
  return h('figure', { class: 'qr', id: 'enrolled-qr' }, svg, h('figcaption', { class: 'hint' }, t('enrol.qr')));
}

// A new (or reset) account's holder redeems the two halves of the enrolment
// code, one from each security officer, sets their own password, and gets
// the secret for their authenticator, shown once.
function renderEnrol() {
  const result = h('div', { id: 'enrol-result' });
  const form = h('form', {
    class: 'card login', id: 'enrol',
    onsubmit: (e) => {
      e.preventDefault();
      busy(form, () => guarded(async () => {
        const v = formValues(form);
        if (v.password !== v.repeat) {
          showInfo(t('enrol.passwordsDiffer'));
          return;
        }
        for (const name of ['password', 'repeat', 'half_a', 'half_b']) form.elements[name].value = '';
        const answer = await api.call('POST', '/v1/auth/enrol',
          { body: { username: v.username, enrolment_codes: [v.half_a, v.half_b], password: v.password } });
        replace(result, h('div', { class: 'card once' },
          h('h3', {}, t('enrol.secondFactor')),
          h('p', { class: 'hint' }, t('enrol.secondFactorHint')),
          h('dl', { class: 'facts' },
            h('dt', {}, t('enrol.secret')), h('dd', { class: 'mono', id: 'enrolled-secret' }, answer.totp_secret || ''),
            h('dt', {}, t('enrol.uri')), h('dd', { class: 'mono wrap' }, answer.otpauth_uri || '')),
          qrImage(answer.otpauth_qr_svg),
          h('button', { type: 'button', class: 'primary', id: 'enrol-done', onclick: renderLogin }, t('enrol.toLogin'))));
      }));
    },
  },
  h('h1', {}, t('enrol.title')),
  h('p', { class: 'hint' }, t('enrol.hint')),
  field(t('login.username'), h('input', { name: 'username', required: true, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' })),
  field(t('enrol.half1'), h('input', { name: 'half_a', required: true, autocomplete: 'off', spellcheck: 'false' })),
  field(t('enrol.half2'), h('input', { name: 'half_b', required: true, autocomplete: 'off', spellcheck: 'false' })),
  field(t('enrol.newPassword'), h('input', { name: 'password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' }), t('enrol.newPasswordHint')),
  field(t('enrol.repeat'), h('input', { name: 'repeat', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' })),
  h('button', { type: 'submit', class: 'primary', id: 'enrol-submit' }, t('enrol.submit')),
  result);
  replace(main(), form);
  form.elements.username.focus();
}

function allowedSections(session) {
  return SECTIONS.filter((s) => s.roles.some((r) => session.roles.includes(r)));
}

let shownSection = null;  // the section's id, kept across a change of language

function show(section) {
  shownSection = section.id;
  for (const link of document.querySelectorAll('#nav button')) {
    link.setAttribute('aria-current', link.dataset.section === section.id ? 'page' : 'false');
  }
  clearNotice();
  section.render(main());
}

function renderShell(session) {
  const sections = allowedSections(session);
  replace(document.getElementById('nav'), sections.map((s) => h('button', {
    type: 'button', class: 'tab', dataset: { section: s.id }, onclick: () => show(s),
  }, t(`section.${s.id}`))));
  if (sections.length) {
    show(sections.find((s) => s.id === shownSection) || sections[0]);
  } else {
    replace(main(), h('section', { class: 'card' }, h('h2', {}, t('app.nothing')),
      h('p', {}, t('app.nothingHint', { roles: session.roles.map(roleName).join(', ') || t('app.noRole') }))));
  }
}

function renderSession(session) {
  const who = document.getElementById('who');
  const logout = document.getElementById('logout');
  if (!session) {
    shownSection = null;
    replace(who);
    logout.hidden = true;
    renderLogin();
    return;
  }
  replace(who, h('strong', {}, session.username), ' · ', session.roles.map(roleName).join(', ') || t('app.noRole'),
    session.expiresAt ? h('small', { class: 'muted' }, ' · ', t('app.until', { time: formatTime(session.expiresAt) })) : null);
  logout.hidden = false;
  renderShell(session);
}

// The page's fixed text (title, header, footer) in the current language.
function renderChrome() {
  document.title = t('app.title');
  document.getElementById('nav').setAttribute('aria-label', t('app.nav'));
  document.getElementById('logout').textContent = t('app.logout');
  document.getElementById('foot').textContent = t('app.footer');
  const lang = document.getElementById('lang');
  lang.setAttribute('aria-label', t('app.language'));
  lang.value = locale();
}

function start() {
  renderChrome();
  document.getElementById('lang').addEventListener('change', (e) => setLocale(e.target.value));
  // A new language re-renders the page: the current section afresh (what it
  // showed is asked for again), or the sign-in form.
  onLocaleChange(() => {
    renderChrome();
    clearNotice();
    renderSession(api.currentSession());
  });
  api.onSessionChange((session) => {
    const ended = !session;
    renderSession(session);
    if (ended && start.loggedOut) showInfo(t('app.signedOut'));
    start.loggedOut = false;
  });
  document.getElementById('logout').addEventListener('click', () => {
    start.loggedOut = true;
    guarded(() => api.logout());
  });
  renderSession(null);
}

start();
