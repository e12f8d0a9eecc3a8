// The security officer's view: accounts (ask for new ones, grant and revoke
// roles, per-account quotas, suspend and reinstate), the changes waiting for
// a second security officer, and alerts. None of these calls reads personal
// data, and none shows an officer a usable credential of another account.
import * as api from './api.js';
import { h, replace, field, formValues, busy, table } from './dom.js';
import { guarded, showInfo } from './notice.js';
import { t, tOr, roleName, formatTime } from './i18n.js';

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
    h('h3', {}, t('admin.partTitle', { user: username })),
    h('p', { class: 'hint' }, t('admin.partHint')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('admin.account')), h('dd', { class: 'mono' }, answer.account_id || ''),
      answer.request_id ? [h('dt', {}, t('admin.request')), h('dd', { class: 'mono' }, answer.request_id)] : [],
      h('dt', {}, t('admin.codeHalf')), h('dd', { class: 'mono wrap', id: 'enrolment-code-part' }, answer.enrolment_code_part || '')));
}

// The answer of a change: applied at once, or waiting for a second officer.
function reportChange(what, answer) {
  if (answer && answer.applied === false) {
    showInfo(t('admin.awaits', { what }), h('code', { id: 'pending-request' }, answer.request_id));
  } else {
    showInfo(t('admin.applied', { what }));
  }
}

// A number for an input's value, or nothing.
const numberOr = (n) => (typeof n === 'number' ? String(n) : undefined);

function accountRow(a, refresh) {
  const role = h('select', { name: 'role', 'aria-label': t('admin.roleFor', { user: a.username }) },
    HUMAN_ROLES.map((r) => h('option', { value: r }, roleName(r))));
  // The boxes start at the limits in force; Set sends what they then hold.
  const quota = h('input', { type: 'number', min: 0, step: 1, name: 'daily_read_quota', value: numberOr(a.daily_read_quota), placeholder: t('admin.quotaPlaceholder'), 'aria-label': t('admin.quotaFor', { user: a.username }), class: 'narrow' });
  const cap = h('input', { type: 'number', min: 0, step: 1, name: 'result_cap', value: numberOr(a.result_cap), placeholder: t('admin.capPlaceholder'), 'aria-label': t('admin.capFor', { user: a.username }), class: 'narrow' });
  const act = (label, work, name) => h('button', {
    type: 'button', class: 'small', dataset: { act: name },
    onclick: () => guarded(async () => { await work(); await refresh(); }),
  }, label);
  return [
    h('span', {}, a.username, h('br'), h('small', { class: 'mono muted' }, a.account_id)),
    tOr(`admin.kind.${a.kind}`, a.kind),
    (a.roles || []).map(roleName).join(', ') || '—',
    a.suspended ? h('span', { class: 'outcome denied', title: a.suspended_reason || '' }, t('admin.suspended')) : tOr(`admin.state.${a.state || 'active'}`, a.state),
    h('div', { class: 'inline' }, role,
      act(t('admin.grant'), async () => {
        reportChange(t('admin.grantOf', { role: roleName(role.value), user: a.username }), await patchAccount(a.account_id, { grant: role.value }));
      }, 'grant'),
      act(t('admin.revoke'), () => patchAccount(a.account_id, { revoke: role.value }), 'revoke')),
    h('div', { class: 'inline' }, quota, cap,
      act(t('admin.set'), async () => {
        const policy = {};
        if (quota.value !== '') policy.daily_read_quota = Number(quota.value);
        if (cap.value !== '') policy.result_cap = Number(cap.value);
        reportChange(t('admin.policyOf', { user: a.username }), await patchAccount(a.account_id, { policy }));
      }, 'set')),
    a.suspended
      ? act(t('admin.reinstate'), () => patchAccount(a.account_id, { reinstate: true }), 'reinstate')
      : act(t('admin.suspend'), () => patchAccount(a.account_id, { suspend: t('admin.suspendReason') }), 'suspend'),
  ];
}

function accountsSection() {
  const list = h('div', { id: 'accounts-list' });
  async function refresh() {
    const answer = await api.call('GET', '/v1/admin/accounts');
    const accounts = (answer && answer.accounts) || [];
    replace(list, table(['account', 'kind', 'roles', 'state', 'grant', 'quota'].map((c) => t(`admin.col.${c}`)).concat(['']),
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
  h('h2', {}, t('admin.newAccount')),
  h('p', { class: 'hint' }, t('admin.newAccountHint')),
  h('div', { class: 'row' },
    field(t('admin.username'), h('input', { name: 'username', required: true, autocomplete: 'off', minlength: 3, maxlength: 64 }))),
  h('fieldset', { class: 'roles' }, h('legend', {}, t('admin.roles')),
    HUMAN_ROLES.map((r) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'roles', value: r }), ' ', roleName(r)))),
  h('button', { type: 'submit', class: 'primary' }, t('admin.askAccount')),
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
        h('h3', {}, t('admin.apiKeyFor', { user: r.username })),
        h('p', { class: 'hint' }, t('admin.apiKeyHint')),
        h('p', { class: 'mono wrap' }, answer.api_key)));
    } else {
      replace(released);
    }
    showInfo(verb === 'approve' ? t('admin.approved') : t('admin.rejected'));
    await refreshRequests();
    await refresh();
  }
  async function refreshRequests() {
    const answer = await api.call('GET', '/v1/admin/requests');
    const pending = (answer && answer.requests) || [];
    replace(requests, pending.length === 0 ? h('p', { class: 'muted' }, t('admin.nothingPending')) :
      table(['change', 'account', 'asker', 'expires'].map((c) => t(`admin.col.${c}`)).concat(['']), pending.map((r) => [
        h('span', {}, tOr(`admin.change.${r.kind}`, r.kind), r.role ? ` (${roleName(r.role)})` : '', r.policy ? h('small', { class: 'mono muted' }, ' ', JSON.stringify(r.policy)) : ''),
        h('span', {}, r.username || '—', h('br'), h('small', { class: 'mono muted' }, r.account_id)),
        h('small', { class: 'mono' }, r.requested_by),
        formatTime(r.expires_at),
        h('div', { class: 'inline' },
          h('button', { type: 'button', class: 'small', 'data-request': r.request_id, onclick: () => guarded(() => decide(r, 'approve')) }, t('admin.approve')),
          h('button', { type: 'button', class: 'small', onclick: () => guarded(() => decide(r, 'reject')) }, t('admin.reject'))),
      ]), { class: 'grid compact' }));
  }
  const approve = h('section', { class: 'card', id: 'pending-requests' },
    h('header', { class: 'card-head' }, h('h2', {}, t('admin.pendingTitle')),
      h('button', { type: 'button', class: 'small', onclick: () => guarded(refreshRequests) }, t('admin.refresh'))),
    h('p', { class: 'hint' }, t('admin.pendingHint')),
    requests, released);
  guarded(refreshRequests);

  const section = h('section', { class: 'card', id: 'accounts' },
    h('header', { class: 'card-head' }, h('h2', {}, t('admin.accounts')),
      h('button', { type: 'button', class: 'small', onclick: () => guarded(refresh) }, t('admin.refresh'))),
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
      ? table(['time', 'alertKind', 'account', 'detail'].map((c) => t(`admin.col.${c}`)),
        alerts.slice().reverse().map((a) => [formatTime(a.time), a.kind || '', h('span', { class: 'mono' }, a.account_id || ''), a.detail || '']),
        { class: 'grid compact' })
      : h('p', { class: 'muted' }, t('admin.noAlerts')));
  }
  guarded(refresh);
  return h('section', { class: 'card', id: 'alerts' },
    h('header', { class: 'card-head' }, h('h2', {}, t('admin.alerts')),
      h('button', { type: 'button', class: 'small', onclick: () => guarded(refresh) }, t('admin.refresh'))),
    list);
}

export function renderAdmin(main) {
  replace(main, accountsSection(), alertsSection());
}
