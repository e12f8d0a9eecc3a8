// The console's entry point: the login form, then the sections the
// account's roles allow. The server decides every permission; the console
// only leaves out what a role cannot use.
import * as api from './api.js';
import { h, replace, field, formValues, busy } from './dom.js';
import { guarded, showInfo, clearNotice } from './notice.js';
import { renderRecords } from './records.js';
import { renderAudit } from './audit.js';
import { renderAdmin } from './admin.js';

const SECTIONS = [
  { id: 'records', label: 'Records', roles: ['officer', 'investigator'], render: renderRecords },
  { id: 'audit', label: 'Audit', roles: ['auditor'], render: renderAudit },
  { id: 'admin', label: 'Administration', roles: ['security_officer'], render: renderAdmin },
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
  h('h1', {}, 'Sign in'),
  h('p', { class: 'hint' }, 'Password and the six-digit code from your authenticator.'),
  field('Username', h('input', { name: 'username', id: 'username', required: true, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' })),
  field('Password', h('input', { name: 'password', id: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
  field('Code', h('input', { name: 'totp', id: 'totp', required: true, autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]{6,8}', maxlength: 8 })),
  h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Sign in'),
  h('p', { class: 'hint' }, 'New account, or credentials reset? ',
    h('button', { type: 'button', class: 'link', id: 'show-enrol', onclick: renderEnrol }, 'Enrol with your two code halves')));
  replace(main(), form);
  replace(document.getElementById('nav'));
  form.elements.username.focus();
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
          showInfo('The two passwords differ.');
          return;
        }
        for (const name of ['password', 'repeat', 'half_a', 'half_b']) form.elements[name].value = '';
        const answer = await api.call('POST', '/v1/auth/enrol',
          { body: { username: v.username, enrolment_codes: [v.half_a, v.half_b], password: v.password } });
        replace(result, h('div', { class: 'card once' },
          h('h3', {}, 'Your second factor'),
          h('p', { class: 'hint' }, 'Shown only now. Add it to your authenticator app, then sign in with your password and its code.'),
          h('dl', { class: 'facts' },
            h('dt', {}, 'TOTP secret'), h('dd', { class: 'mono', id: 'enrolled-secret' }, answer.totp_secret || ''),
            h('dt', {}, 'otpauth URI'), h('dd', { class: 'mono wrap' }, answer.otpauth_uri || '')),
          h('button', { type: 'button', class: 'primary', id: 'enrol-done', onclick: renderLogin }, 'Go to sign in')));
      }));
    },
  },
  h('h1', {}, 'Enrol'),
  h('p', { class: 'hint' }, 'Each of two security officers gave you one half of your enrolment code.'),
  field('Username', h('input', { name: 'username', required: true, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' })),
  field('First code half', h('input', { name: 'half_a', required: true, autocomplete: 'off', spellcheck: 'false' })),
  field('Second code half', h('input', { name: 'half_b', required: true, autocomplete: 'off', spellcheck: 'false' })),
  field('New password', h('input', { name: 'password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' }), 'at least 12 characters'),
  field('Repeat it', h('input', { name: 'repeat', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' })),
  h('button', { type: 'submit', class: 'primary', id: 'enrol-submit' }, 'Enrol'),
  result);
  replace(main(), form);
  form.elements.username.focus();
}

function allowedSections(session) {
  return SECTIONS.filter((s) => s.roles.some((r) => session.roles.includes(r)));
}

function show(section) {
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
  }, s.label)));
  if (sections.length) {
    show(sections[0]);
  } else {
    replace(main(), h('section', { class: 'card' }, h('h2', {}, 'Nothing to show'),
      h('p', {}, `The console has no section for the roles of this account (${session.roles.join(', ') || 'none'}).`)));
  }
}

function renderSession(session) {
  const who = document.getElementById('who');
  const logout = document.getElementById('logout');
  if (!session) {
    replace(who);
    logout.hidden = true;
    renderLogin();
    return;
  }
  replace(who, h('strong', {}, session.username), ' · ', session.roles.join(', ') || 'no role',
    session.expiresAt ? h('small', { class: 'muted' }, ` · until ${session.expiresAt}`) : null);
  logout.hidden = false;
  renderShell(session);
}

function start() {
  api.onSessionChange((session) => {
    const ended = !session;
    renderSession(session);
    if (ended && start.loggedOut) showInfo('You are signed out.');
    start.loggedOut = false;
  });
  document.getElementById('logout').addEventListener('click', () => {
    start.loggedOut = true;
    guarded(() => api.logout());
  });
  renderSession(null);
}

start();
