// Look-up, search, reveal and a person's cases (officers and investigators).
//
// Results are shown as the server sends them: masked. An investigator gets a
// "Reveal" button per field of a record opened by its national ID; each
// press is one audited reveal call for that one field, counted against the
// account's quota. Search results carry masked keys only: each comes with a
// handle from the server (short-lived, for this session only) that opens it
// in place of its key, so an officer opens a result without ever seeing the
// full national ID. Fields the mask withholds are listed as "withheld".
import * as api from './api.js';
import { h, replace, field, formValues, busy } from './dom.js';
import { showError, clearNotice } from './notice.js';
import { purposePanel, currentPurpose, flagPurpose } from './purpose.js';
import { t, tOr, formatNumber } from './i18n.js';

// A field's label: from the message table, else its schema name.
const label = (name) => tOr(`field.${name}`, name);
const PERSON_ORDER = ['national_id', 'name', 'gender', 'birth_date', 'ethnicity', 'birthplace',
  'hukou_address', 'current_address', 'phones', 'height_cm', 'education', 'marital_status', 'notes'];
const CASE_ORDER = ['case_no', 'opened_on', 'category', 'station', 'status', 'monitor', 'persons',
  'summary'];

export function formatValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? t('records.yes') : t('records.no');
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return value.map(formatValue).join(', ') || '—';
  if (typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => `${label(k)}: ${formatValue(v)}`).join(' · ');
  }
  return String(value);
}

function orderedFields(record, order) {
  const known = order.filter((f) => f in record);
  const rest = Object.keys(record).filter((f) => !order.includes(f)).sort();
  return known.concat(rest);
}

async function withPurpose(work) {
  try {
    clearNotice();
    const result = await work(currentPurpose());
    flagPurpose(null);
    return result;
  } catch (err) {
    flagPurpose(showError(err));
    return undefined;
  }
}

// One person: a table of field | value | (reveal). `key` names the record in
// paths (the national ID typed for a look-up, or a search result's handle)
// once it is opened; a search result not yet opened has only its `handle`.
function personCard(record, key, handle = null) {
  const canReveal = key && api.hasRole('investigator');
  // Withheld fields (free text, sensitive enums) are left out of masked
  // answers; they are listed all the same so that they can be revealed.
  const names = PERSON_ORDER.concat(orderedFields(record, PERSON_ORDER).filter((f) => !PERSON_ORDER.includes(f)));
  const rows = names.map((name) => {
    const value = name in record
      ? h('span', { class: 'value masked', dataset: { field: name } }, formatValue(record[name]))
      : h('span', { class: 'value masked withheld', dataset: { field: name } }, t('records.withheld'));
    const action = canReveal
      ? h('button', {
        type: 'button', class: 'small reveal', dataset: { field: name },
        title: t('records.revealTitle'),
        onclick: (e) => reveal(key, name, value, e.currentTarget),
      }, t('records.reveal'))
      : null;
    return h('tr', {}, h('th', { scope: 'row' }, label(name)), h('td', {}, value), h('td', { class: 'act' }, action));
  });
  const casesArea = h('div', { class: 'cases' });
  const card = h('article', { class: 'card person', dataset: { masked: formatValue(record.national_id) } },
    h('header', { class: 'card-head' },
      h('h3', {}, formatValue(record.name), ' ', h('span', { class: 'muted' }, formatValue(record.national_id))),
      key ? h('button', { type: 'button', class: 'small', onclick: () => showCases(key, casesArea) }, t('records.cases')) : null,
      !key && handle ? h('button', { type: 'button', class: 'small open', onclick: () => openResult(handle, card) }, t('records.open')) : null),
    h('table', { class: 'record' }, h('tbody', {}, rows)),
    key ? null : h('p', { class: 'hint' }, t('records.openHint')),
    casesArea);
  return card;
}

// Opens a search result by its handle: one audited read, as a look-up.
async function openResult(handle, card) {
  await withPurpose(async (purpose) => {
    const record = await api.call('GET', api.path('v1', 'persons', handle), { purpose });
    card.replaceWith(personCard(record, handle));
  });
}

async function reveal(key, name, valueEl, button) {
  await withPurpose(async (purpose) => {
    const answer = await api.call('POST', api.path('v1', 'persons', key, 'reveal'),
      { body: { fields: [name] }, purpose });
    const fields = (answer && answer.fields) || {};
    replace(valueEl, name in fields ? formatValue(fields[name]) : '—');
    valueEl.classList.remove('masked');
    valueEl.classList.add('revealed');
    button.replaceWith(h('span', { class: 'badge' }, t('records.revealed')));
  });
}

function caseTable(cases) {
  if (!cases.length) return h('p', { class: 'muted' }, t('records.noCases'));
  const fields = orderedFields(Object.assign({}, ...cases), CASE_ORDER);
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, fields.map((f) => h('th', { scope: 'col' }, label(f))))),
    h('tbody', {}, cases.map((c) => h('tr', {}, fields.map((f) => h('td', {}, formatValue(c[f])))))));
}

async function showCases(key, area) {
  await withPurpose(async (purpose) => {
    const answer = await api.call('GET', api.path('v1', 'persons', key, 'cases'), { purpose });
    const cases = (answer && answer.results) || [];
    replace(area, h('h4', {}, t(answer.truncated ? 'records.casesCountTruncated' : 'records.casesCount', { n: formatNumber(cases.length) })), caseTable(cases));
  });
}

function lookupForm(results) {
  const id = h('input', {
    name: 'national_id', id: 'lookup-id', required: true, autocomplete: 'off', spellcheck: 'false',
    maxlength: 18, minlength: 15, pattern: '[0-9]{15}|[0-9]{17}[0-9Xx]', placeholder: t('records.idPlaceholder'),
  });
  const form = h('form', {
    class: 'card', id: 'lookup',
    onsubmit: (e) => {
      e.preventDefault();
      busy(form, () => withPurpose(async (purpose) => {
        const key = formValues(form).national_id.toUpperCase();
        const record = await api.call('GET', api.path('v1', 'persons', key), { purpose });
        replace(results, personCard(record, key));
      }));
    },
  },
  h('h2', {}, t('records.lookup')),
  field(label('national_id'), id),
  h('button', { type: 'submit', class: 'primary' }, t('records.lookupSubmit')));
  return form;
}

function searchForm(results) {
  const investigator = api.hasRole('investigator');
  const mode = h('select', { name: 'mode', id: 'search-mode' },
    h('option', { value: 'phone' }, t('records.mode.phone')),
    h('option', { value: 'name_birth' }, t('records.mode.name_birth')),
    investigator ? h('option', { value: 'name' }, t('records.mode.name')) : null);
  const phone = field(label('phone'), h('input', { name: 'phone', id: 'search-phone', autocomplete: 'off', inputmode: 'tel', placeholder: t('records.phonePlaceholder') }));
  const name = field(label('name'), h('input', { name: 'name', id: 'search-name', autocomplete: 'off' }));
  const birth = field(label('birth_date'), h('input', { name: 'birth_date', id: 'search-birth', type: 'date' }));
  const sync = () => {
    const m = mode.value;
    phone.hidden = m !== 'phone';
    name.hidden = m === 'phone';
    birth.hidden = m !== 'name_birth';
  };
  mode.addEventListener('change', sync);
  sync();
  const form = h('form', {
    class: 'card', id: 'search',
    onsubmit: (e) => {
      e.preventDefault();
      busy(form, () => withPurpose(async (purpose) => {
        const v = formValues(form);
        const query = v.mode === 'phone' ? { phone: v.phone }
          : v.mode === 'name_birth' ? { name: v.name, birth_date: v.birth_date } : { name: v.name };
        const answer = await api.call('POST', '/v1/persons/search', { body: query, purpose });
        const found = (answer && answer.results) || [];
        replace(results,
          h('p', { class: 'summary', dataset: { count: String(found.length) } }, t('records.results', { n: formatNumber(found.length) }),
            answer.truncated ? t('records.capped') : ''),
          found.map((r, i) => personCard(r, null, (answer.handles || [])[i] || null)));
      }));
    },
  },
  h('h2', {}, t('records.search')),
  field(t('records.searchBy'), mode), phone, name, birth,
  h('button', { type: 'submit', class: 'primary' }, t('records.searchSubmit')));
  return form;
}

export function renderRecords(main) {
  const results = h('section', { id: 'results', class: 'results', 'aria-live': 'polite' });
  replace(main,
    purposePanel('case'),
    h('div', { class: 'columns' }, lookupForm(results), searchForm(results)),
    results);
}
