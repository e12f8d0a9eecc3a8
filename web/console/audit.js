// The auditor's view: the trail (filtered, paged), its verification, and a
// person's access report (who read this person's data, when and why; the
// report needs a stated purpose, like any personal-data request). Reading
// the trail is itself audited by the server.
import * as api from './api.js';
import { h, replace, field, formValues, busy, table } from './dom.js';
import { guarded, showError, showInfo, clearNotice } from './notice.js';
import { purposePanel, currentPurpose, flagPurpose } from './purpose.js';
import { t, tOr, formatNumber, formatTime, roleName, actionName } from './i18n.js';

const ACTIONS = ['', 'login', 'logout', 'read', 'search', 'reveal', 'write', 'erase', 'import',
  'export', 'admin', 'unseal', 'seal', 'rotate', 'alert', 'audit_read'];
const PAGE = 100;

// A purpose "kind/reference" with its kind translated.
function purposeText(purpose) {
  const slash = (purpose || '').indexOf('/');
  if (slash < 0) return purpose || '';
  return `${tOr(`purpose.kind.${purpose.slice(0, slash)}`, purpose.slice(0, slash))} ${purpose.slice(slash + 1)}`;
}

// An account as the trail names it: its username, with its id beneath.
function accountCell(id, username) {
  if (!username) return h('span', { class: 'mono' }, id || '');
  return h('span', { class: 'account', dataset: { account: id } }, h('strong', {}, username), h('br'),
    h('small', { class: 'mono muted' }, id));
}

function entryRows(entries) {
  return entries.map((e) => [
    String(e.seq), formatTime(e.time), e.action ? actionName(e.action) : '',
    h('span', { class: `outcome ${e.outcome}` }, e.outcome ? tOr(`outcome.${e.outcome}`, e.outcome) : ''), String(e.status || ''),
    accountCell(e.account, e.username), e.role ? roleName(e.role) : '',
    e.collection ? tOr(`collection.${e.collection}`, e.collection) : '',
    h('span', { dataset: { purpose: e.purpose || '' } }, purposeText(e.purpose)), e.reason || '',
    e.result_count === undefined ? '' : formatNumber(e.result_count), e.error || '',
  ]);
}

const HEADINGS = () => ['seq', 'time', 'action', 'outcome', 'status', 'account', 'role',
  'collection', 'purpose', 'reason', 'records', 'error'].map((c) => t(`audit.col.${c}`));

// Unix seconds of a date input's value (start of that UTC day), or ''.
function unixSeconds(dateText, endOfDay) {
  if (!dateText) return '';
  const ms = Date.parse(dateText + 'T00:00:00Z');
  if (Number.isNaN(ms)) return '';
  return String(Math.floor(ms / 1000) + (endOfDay ? 86399 : 0));
}

function trailSection() {
  const out = h('div', { id: 'trail-entries' });
  let next = null;
  const more = h('button', { type: 'button', id: 'trail-more', hidden: true, onclick: () => load(false) }, t('audit.older'));
  const form = h('form', {
    class: 'card', id: 'trail',
    onsubmit: (e) => { e.preventDefault(); busy(form, () => load(true)); },
  },
  h('h2', {}, t('audit.trailTitle')),
  h('div', { class: 'row' },
    field(t('audit.from'), h('input', { type: 'date', name: 'from' })),
    field(t('audit.to'), h('input', { type: 'date', name: 'to' })),
    field(t('audit.account'), h('input', { name: 'account', autocomplete: 'off', placeholder: t('audit.accountPlaceholder') })),
    field(t('audit.action'), h('select', { name: 'action', id: 'trail-action' }, ACTIONS.map((a) => h('option', { value: a }, a ? actionName(a) : t('audit.anyAction')))))),
  h('button', { type: 'submit', class: 'primary' }, t('audit.show')),
  out, more);

  async function load(fresh) {
    await guarded(async () => {
      const v = formValues(form);
      const q = new URLSearchParams();
      const from = unixSeconds(v.from, false);
      const to = unixSeconds(v.to, true);
      if (from) q.set('from', from);
      if (to) q.set('to', to);
      if (v.account) q.set('account', v.account);
      if (v.action) q.set('action', v.action);
      q.set('limit', String(PAGE));
      if (!fresh && next !== null) q.set('after', String(next));
      const answer = await api.call('GET', '/v1/audit?' + q.toString());
      const entries = (answer && answer.entries) || [];
      next = answer && answer.next_after !== undefined ? answer.next_after : null;
      more.hidden = next === null;
      const page = table(HEADINGS(), entryRows(entries), { class: 'grid compact' });
      if (fresh) replace(out, page);
      else out.append(page);
      if (!entries.length && fresh) replace(out, h('p', { class: 'muted' }, t('audit.none')));
    });
  }
  return form;
}

function verifySection() {
  const out = h('div', { id: 'verify-result' });
  const form = h('form', {
    class: 'card', id: 'verify',
    onsubmit: (e) => {
      e.preventDefault();
      busy(form, () => guarded(async () => {
        const r = await api.call('GET', '/v1/audit/verify');
        replace(out,
          h('p', { class: r.ok ? 'verdict ok' : 'verdict broken', dataset: { ok: String(!!r.ok) } }, r.ok ? t('audit.intact') : t('audit.broken')),
          h('dl', { class: 'facts' },
            h('dt', {}, t('audit.entries')), h('dd', {}, formatNumber(r.entries)),
            h('dt', {}, t('audit.lastSeq')), h('dd', {}, String(r.last_seq)),
            h('dt', {}, t('audit.checkpoints')), h('dd', {}, formatNumber(r.checkpoints)),
            h('dt', {}, t('audit.lastCheckpoint')), h('dd', {}, String(r.last_checkpoint_seq))),
          r.break ? h('p', { class: 'verdict broken', title: r.break.message || '' }, t('audit.breakAt', { kind: r.break.kind, seq: r.break.seq })) : null);
        if (!r.ok) showInfo(t('audit.brokenInfo'));
      }));
    },
  },
  h('h2', {}, t('audit.verifyTitle')),
  h('p', { class: 'hint' }, t('audit.verifyHint')),
  h('button', { type: 'submit', class: 'primary' }, t('audit.verifySubmit')),
  out);
  return form;
}

function accessReportSection() {
  const out = h('div', { id: 'report-result' });
  const form = h('form', {
    class: 'card', id: 'access-report',
    onsubmit: (e) => {
      e.preventDefault();
      busy(form, async () => {
        try {
          clearNotice();
          const id = formValues(form).national_id.toUpperCase();
          const r = await api.call('GET', api.path('v1', 'persons', id, 'access-report'), { purpose: currentPurpose() });
          const entries = r.entries || [];
          replace(out,
            h('p', { class: 'summary' }, t('audit.accesses', { n: formatNumber(entries.length) }), r.truncated ? t('audit.truncated') : ''),
            entries.length ? table(HEADINGS(), entryRows(entries), { class: 'grid compact' }) : null);
          flagPurpose(null);
        } catch (err) {
          flagPurpose(showError(err));
        }
      });
    },
  },
  h('h2', {}, t('audit.reportTitle')),
  h('p', { class: 'hint' }, t('audit.reportHint')),
  field(tOr('field.national_id', 'national_id'), h('input', { name: 'national_id', id: 'report-id', required: true, autocomplete: 'off', maxlength: 18 })),
  h('button', { type: 'submit', class: 'primary' }, t('audit.reportSubmit')),
  out);
  return form;
}

export function renderAudit(main) {
  replace(main, purposePanel('audit'), verifySection(), trailSection(), accessReportSection());
}
