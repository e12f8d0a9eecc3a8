// The security officer's view: accounts (ask for new ones, grant and revoke
// roles, per-account quotas, suspend and reinstate), the changes waiting for
// a second security officer, and alerts. None of these calls reads personal
// data, and none shows an officer a usable credential of another account.
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

// An officer's half of a new account's enrolment code is shown once: hand
// it to the holder in person; the other officer hands over the other half.
function enrolmentPartBox(username, answer) {
  return h('div', { class: 'card once', id: 'enrolment-part' },
    h('h3', {}, `Enrolment code half for ${username}`),
    h('p', { class: 'hint' }, 'Shown only now. Hand it to the account holder in person; the holder enrols with both halves and sets their own password.'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Account'), h('dd', { class: 'mono' }, answer.account_id || ''),
      answer.request_id ? [h('dt', {}, 'Request'), h('dd', { class: 'mono' }, answer.request_id)] : [],
      h('dt', {}, 'Code half'), h('dd', { class: 'mono wrap', id: 'enrolment-code-part' }, answer.enrolment_code_part || '')));
}

// The answer of a change: applied at once, or waiting for a second officer.
function reportChange(what, answer) {
  if (answer && answer.applied === false) {
    showInfo(`${what} awaits a second security officer: request `, h('code', { id: 'pending-request' }, answer.request_id));
  } else {
    showInfo(`${what}: applied.`);
  }
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
    a.suspended ? h('span', { class: 'outcome denied' }, 'suspended', a.suspended_reason ? `: ${a.suspended_reason}` : '') : (a.state || 'active').replace('_', ' '),
    h('div', { class: 'inline' }, role,
      act('Grant', async () => {
        reportChange(`Grant of ${role.value} to ${a.username}`, await patchAccount(a.account_id, { grant: role.value }));
      }),
      act('Revoke', () => patchAccount(a.account_id, { revoke: role.value }))),
    h('div', { class: 'inline' }, quota, cap,
      act('Set', async () => {
        const policy = {};
        if (quota.value !== '') policy.daily_read_quota = Number(quota.value);
        if (cap.value !== '') policy.result_cap = Number(cap.value);
        reportChange(`Policy of ${a.username}`, await patchAccount(a.account_id, { policy }));
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
          { body: { username: v.username, roles: v.roles } });
        create.reset();
        replace(created, enrolmentPartBox(v.username, answer));
        await refresh();
        await refreshRequests();
      }));
    },
  },
  h('h2', {}, 'New account'),
  h('p', { class: 'hint' }, 'A second security officer approves it; its holder then sets their own password.'),
  h('div', { class: 'row' },
    field('Username', h('input', { name: 'username', required: true, autocomplete: 'off', minlength: 3, maxlength: 64 }))),
  h('fieldset', { class: 'roles' }, h('legend', {}, 'Roles'),
    HUMAN_ROLES.map((r) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'roles', value: r }), ' ', r))),
  h('button', { type: 'submit', class: 'primary' }, 'Ask for the account'),
  created);

  // Changes another officer asked for, to approve (what an approval releases
  // is shown once) or reject.
  const requests = h('div', { id: 'requests-list' });
  const released = h('div', { id: 'released' });
  async function decide(r, verb) {
    const answer = await api.call('POST', api.path('v1', 'admin', 'requests', r.request_id, verb), { body: {} });
    if (verb === 'approve' && answer && answer.enrolment_code_part) {
      replace(released, enrolmentPartBox(r.username, answer));
    } else if (verb === 'approve' && answer && answer.api_key) {
      replace(released, h('div', { class: 'card once', id: 'released-key' },
        h('h3', {}, `API key for ${r.username}`),
        h('p', { class: 'hint' }, 'Shown only now. Store it in the service\'s secret store.'),
        h('p', { class: 'mono wrap' }, answer.api_key)));
    } else {
      replace(released);
    }
    showInfo(verb === 'approve' ? 'Request approved.' : 'Request rejected.');
    await refreshRequests();
    await refresh();
  }
  async function refreshRequests() {
    const answer = await api.call('GET', '/v1/admin/requests');
    const pending = (answer && answer.requests) || [];
    replace(requests, pending.length === 0 ? h('p', { class: 'muted' }, 'Nothing waits for approval.') :
      table(['Change', 'Account', 'Asked by', 'Expires', ''], pending.map((r) => [
        h('span', {}, r.kind.replace('_', ' '), r.role ? ` (${r.role})` : '', r.policy ? h('small', { class: 'mono muted' }, ' ', JSON.stringify(r.policy)) : ''),
        h('span', {}, r.username || '—', h('br'), h('small', { class: 'mono muted' }, r.account_id)),
        h('small', { class: 'mono' }, r.requested_by),
        r.expires_at,
        h('div', { class: 'inline' },
          h('button', { type: 'button', class: 'small', 'data-request': r.request_id, onclick: () => guarded(() => decide(r, 'approve')) }, 'Approve'),
          h('button', { type: 'button', class: 'small', onclick: () => guarded(() => decide(r, 'reject')) }, 'Reject')),
      ]), { class: 'grid compact' }));
  }
  const approve = h('section', { class: 'card', id: 'pending-requests' },
    h('header', { class: 'card-head' }, h('h2', {}, 'Waiting for a second security officer'),
      h('button', { type: 'button', class: 'small', onclick: () => guarded(refreshRequests) }, 'Refresh')),
    h('p', { class: 'hint' }, 'You cannot approve what you asked for, nor a change to your own account.'),
    requests, released);
  guarded(refreshRequests);

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
