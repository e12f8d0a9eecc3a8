// The security officer's view: accounts (create, grant and revoke roles,
// approve another officer's grant, per-account quotas, suspend and
// reinstate) and alerts. None of these calls reads personal data.
import * as api from './api.js';
import { h, replace, field, formValues, busy, table } from './dom.js';
import { guarded, showInfo } from './notice.js';

const HUMAN_ROLES = ['officer', 'investigator', 'registrar', 'auditor', 'security_officer', 'operator'];

function accountPath(id, ...rest) {
  return api.path('v1', 'admin', 'accounts', id, ...rest);
}

async function patchAccount(id, change) {
  return api.call('PATCH', accountPath(id), { body: change });
}

// The TOTP secret of a new account is shown once: hand it to its holder.
function enrollmentBox(username, answer) {
  return h('div', { class: 'card once', id: 'enrollment' },
    h('h3', {}, `Second factor for ${username}`),
    h('p', { class: 'hint' }, 'Shown only now. Give it to the account holder for their authenticator app.'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Account'), h('dd', { class: 'mono' }, answer.account_id || ''),
      h('dt', {}, 'TOTP secret'), h('dd', { class: 'mono', id: 'enrollment-secret' }, answer.totp_secret || ''),
      h('dt', {}, 'otpauth URI'), h('dd', { class: 'mono wrap' }, answer.otpauth_uri || '')));
}

function accountRow(a, refresh) {
  const role = h('select', { name: 'role', 'aria-label': `Role for ${a.username}` },
    HUMAN_ROLES.map((r) => h('option', { value: r }, r)));
  const quota = h('input', { type: 'number', min: 0, step: 1, name: 'daily_read_quota', placeholder: 'records/day', 'aria-label': `Daily read quota for ${a.username}`, class: 'narrow' });
  const cap = h('input', { type: 'number', min: 0, step: 1, name: 'result_cap', placeholder: 'cap', 'aria-label': `Result cap for ${a.username}`, class: 'narrow' });
  const act = (label, work) => h('button', {
    type: 'button', class: 'small',
    onclick: () => guarded(async () => { await work(); await refresh(); }),
  }, label);
  return [
    h('span', {}, a.username, h('br'), h('small', { class: 'mono muted' }, a.account_id)),
    a.kind,
    (a.roles || []).join(', ') || '—',
    a.suspended ? h('span', { class: 'outcome denied' }, 'suspended', a.suspended_reason ? `: ${a.suspended_reason}` : '') : 'active',
    h('div', { class: 'inline' }, role,
      act('Grant', async () => {
        const r = await patchAccount(a.account_id, { grant: role.value });
        if (r && !r.granted && r.grant_id) {
          showInfo(`Grant of ${role.value} to ${a.username} awaits a second security officer: grant id `, h('code', { id: 'pending-grant' }, r.grant_id));
        }
      }),
      act('Revoke', () => patchAccount(a.account_id, { revoke: role.value }))),
    h('div', { class: 'inline' }, quota, cap,
      act('Set', () => {
        const policy = {};
        if (quota.value !== '') policy.daily_read_quota = Number(quota.value);
        if (cap.value !== '') policy.result_cap = Number(cap.value);
        return patchAccount(a.account_id, { policy });
      })),
    a.suspended
      ? act('Reinstate', () => patchAccount(a.account_id, { reinstate: true }))
      : act('Suspend', () => patchAccount(a.account_id, { suspend: 'suspended by a security officer' })),
  ];
}

function accountsSection() {
  const list = h('div', { id: 'accounts-list' });
  async function refresh() {
    const answer = await api.call('GET', '/v1/admin/accounts');
    const accounts = (answer && answer.accounts) || [];
    replace(list, table(['Account', 'Kind', 'Roles', 'State', 'Roles: grant / revoke', 'Quota per day / result cap', ''],
      accounts.map((a) => accountRow(a, refresh)), { class: 'grid compact' }));
  }

  const created = h('div', { id: 'created' });
  const create = h('form', {
    class: 'card', id: 'create-account',
    onsubmit: (e) => {
      e.preventDefault();
      busy(create, () => guarded(async () => {
        const v = formValues(create);
        const answer = await api.call('POST', '/v1/admin/accounts',
          { body: { username: v.username, password: v.password, roles: v.roles } });
        create.reset();
        replace(created, enrollmentBox(v.username, answer));
        await refresh();
      }));
    },
  },
  h('h2', {}, 'New account'),
  h('div', { class: 'row' },
    field('Username', h('input', { name: 'username', required: true, autocomplete: 'off', minlength: 3, maxlength: 64 })),
    field('Initial password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password', minlength: 12 }), 'at least 12 characters')),
  h('fieldset', { class: 'roles' }, h('legend', {}, 'Roles'),
    HUMAN_ROLES.filter((r) => r !== 'investigator').map((r) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'roles', value: r }), ' ', r)),
    h('p', { class: 'hint' }, 'Investigator is granted to an existing account and needs a second security officer.')),
  h('button', { type: 'submit', class: 'primary' }, 'Create'),
  created);

  const approve = h('form', {
    class: 'card', id: 'approve-grant',
    onsubmit: (e) => {
      e.preventDefault();
      busy(approve, () => guarded(async () => {
        const v = formValues(approve);
        await patchAccount(v.account, { approve_grant: v.grant });
        approve.reset();
        showInfo('Grant approved.');
        await refresh();
      }));
    },
  },
  h('h2', {}, 'Approve a pending grant'),
  h('p', { class: 'hint' }, 'A grant asked for by another security officer.'),
  h('div', { class: 'row' },
    field('Account id', h('input', { name: 'account', required: true, autocomplete: 'off' })),
    field('Grant id', h('input', { name: 'grant', required: true, autocomplete: 'off' }))),
  h('button', { type: 'submit', class: 'primary' }, 'Approve'));

  const section = h('section', { class: 'card', id: 'accounts' },
    h('header', { class: 'card-head' }, h('h2', {}, 'Accounts'),
      h('button', { type: 'button', class: 'small', onclick: () => guarded(refresh) }, 'Refresh')),
    list);
  guarded(refresh);
  return [section, h('div', { class: 'columns' }, create, approve)];
}

function alertsSection() {
  const list = h('div', { id: 'alerts-list' });
  async function refresh() {
    const answer = await api.call('GET', '/v1/admin/alerts');
    const alerts = (answer && answer.alerts) || [];
    replace(list, alerts.length
      ? table(['Time (UTC)', 'Kind', 'Account', 'Detail'],
        alerts.slice().reverse().map((a) => [a.time || '', a.kind || '', h('span', { class: 'mono' }, a.account_id || ''), a.detail || '']),
        { class: 'grid compact' })
      : h('p', { class: 'muted' }, 'No alerts.'));
  }
  guarded(refresh);
  return h('section', { class: 'card', id: 'alerts' },
    h('header', { class: 'card-head' }, h('h2', {}, 'Alerts'),
      h('button', { type: 'button', class: 'small', onclick: () => guarded(refresh) }, 'Refresh')),
    list);
}

export function renderAdmin(main) {
  replace(main, accountsSection(), alertsSection());
}
