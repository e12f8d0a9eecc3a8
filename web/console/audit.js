// The auditor's view: the trail (filtered, paged), its verification, and a
// person's access report (who read this person's data, when and why; the
// report needs a stated purpose, like any personal-data request). Reading
// the trail is itself audited by the server.
import * as api from './api.js';
import { h, replace, field, formValues, busy, table } from './dom.js';
import { guarded, showError, showInfo, clearNotice } from './notice.js';
import { purposePanel, currentPurpose, flagPurpose } from './purpose.js';

const ACTIONS = ['', 'login', 'logout', 'read', 'search', 'reveal', 'write', 'erase', 'import',
  'export', 'admin', 'unseal', 'seal', 'rotate', 'alert', 'audit_read'];
const PAGE = 100;

function entryRows(entries) {
  return entries.map((e) => [
    String(e.seq), e.time || '', e.action || '',
    h('span', { class: `outcome ${e.outcome}` }, e.outcome || ''), String(e.status || ''),
    h('span', { class: 'mono' }, e.account || ''), e.role || '', e.collection || '',
    e.purpose || '', e.reason || '', String(e.result_count ?? ''), e.error || '',
  ]);
}

const HEADINGS = ['#', 'Time (UTC)', 'Action', 'Outcome', 'Status', 'Account', 'Role',
  'Collection', 'Purpose', 'Reason', 'Records', 'Error'];

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
  const more = h('button', { type: 'button', id: 'trail-more', hidden: true, onclick: () => load(false) }, 'Older entries');
  const form = h('form', {
    class: 'card', id: 'trail',
    onsubmit: (e) => { e.preventDefault(); busy(form, () => load(true)); },
  },
  h('h2', {}, 'Audit trail'),
  h('div', { class: 'row' },
    field('From', h('input', { type: 'date', name: 'from' })),
    field('To', h('input', { type: 'date', name: 'to' })),
    field('Account', h('input', { name: 'account', autocomplete: 'off', placeholder: 'account id' })),
    field('Action', h('select', { name: 'action', id: 'trail-action' }, ACTIONS.map((a) => h('option', { value: a }, a || 'any'))))),
  h('button', { type: 'submit', class: 'primary' }, 'Show entries'),
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
      const t = table(HEADINGS, entryRows(entries), { class: 'grid compact' });
      if (fresh) replace(out, t);
      else out.append(t);
      if (!entries.length && fresh) replace(out, h('p', { class: 'muted' }, 'No entries match.'));
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
          h('p', { class: r.ok ? 'verdict ok' : 'verdict broken' }, r.ok ? 'Chain intact' : 'Chain BROKEN'),
          h('dl', { class: 'facts' },
            h('dt', {}, 'Entries'), h('dd', {}, String(r.entries)),
            h('dt', {}, 'Last sequence'), h('dd', {}, String(r.last_seq)),
            h('dt', {}, 'Signed checkpoints'), h('dd', {}, String(r.checkpoints)),
            h('dt', {}, 'Last checkpoint at'), h('dd', {}, String(r.last_checkpoint_seq)),
            h('dt', {}, 'Summary'), h('dd', {}, r.summary || '')),
          r.break ? h('p', { class: 'verdict broken' }, `${r.break.kind} at #${r.break.seq}: ${r.break.message}`) : null);
        if (!r.ok) showInfo('The audit chain did not verify: raise it with the security officers.');
      }));
    },
  },
  h('h2', {}, 'Verify the trail'),
  h('p', { class: 'hint' }, 'Checks the hash chain and the signed checkpoints from the first entry to the last.'),
  h('button', { type: 'submit', class: 'primary' }, 'Verify now'),
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
            h('p', { class: 'summary' }, `${entries.length} access${entries.length === 1 ? '' : 'es'}`, r.truncated ? ' (truncated)' : ''),
            entries.length ? table(HEADINGS, entryRows(entries), { class: 'grid compact' }) : null);
          flagPurpose(null);
        } catch (err) {
          flagPurpose(showError(err));
        }
      });
    },
  },
  h('h2', {}, 'Access report for a person'),
  h('p', { class: 'hint' }, 'Who read this person\u2019s data, when, and for which purpose.'),
  field('National ID', h('input', { name: 'national_id', id: 'report-id', required: true, autocomplete: 'off', maxlength: 18 })),
  h('button', { type: 'submit', class: 'primary' }, 'Report'),
  out);
  return form;
}

export function renderAudit(main) {
  replace(main, purposePanel('audit'), verifySection(), trailSection(), accessReportSection());
}
