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
  h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Sign in'));
  replace(main(), form);
  replace(document.getElementById('nav'));
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
