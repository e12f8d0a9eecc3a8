// Look-up, search, reveal and a person's cases (officers and investigators).
//
// Results are shown as the server sends them: masked. An investigator gets a
// "Reveal" button per field of a record opened by its national ID; each
// press is one audited reveal call for that one field, counted against the
// account's quota. Search results carry masked keys only, so they are opened
// by typing the full national ID. Fields the mask withholds are listed as
// "withheld".
import * as api from './api.js';
import { h, replace, field, formValues, busy } from './dom.js';
import { showError, clearNotice } from './notice.js';
import { purposePanel, currentPurpose, flagPurpose } from './purpose.js';

const LABELS = {
  national_id: 'National ID', name: 'Name', gender: 'Gender', birth_date: 'Birth date',
  ethnicity: 'Ethnicity', birthplace: 'Birthplace', hukou_address: 'Registered residence',
  current_address: 'Current address', phones: 'Phones', height_cm: 'Height (cm)',
  education: 'Education', marital_status: 'Marital status', notes: 'Notes',
  case_no: 'Case no.', opened_on: 'Opened on', category: 'Category', station: 'Station',
  summary: 'Summary', persons: 'Persons', status: 'Status', monitor: 'Monitored',
};
const PERSON_ORDER = ['national_id', 'name', 'gender', 'birth_date', 'ethnicity', 'birthplace',
  'hukou_address', 'current_address', 'phones', 'height_cm', 'education', 'marital_status', 'notes'];
const CASE_ORDER = ['case_no', 'opened_on', 'category', 'station', 'status', 'monitor', 'persons',
  'summary'];

export function formatValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map(formatValue).join(', ') || '—';
  if (typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v)}`).join(' · ');
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

// One person: a table of field | value | (reveal). `key` is the full national
// ID when known (opened by look-up), else null.
function personCard(record, key) {
  const canReveal = key && api.hasRole('investigator');
  // Withheld fields (free text, sensitive enums) are left out of masked
  // answers; they are listed all the same so that they can be revealed.
  const names = PERSON_ORDER.concat(orderedFields(record, PERSON_ORDER).filter((f) => !PERSON_ORDER.includes(f)));
  const rows = names.map((name) => {
    const value = name in record
      ? h('span', { class: 'value masked', dataset: { field: name } }, formatValue(record[name]))
      : h('span', { class: 'value masked withheld', dataset: { field: name } }, 'withheld');
    const action = canReveal
      ? h('button', {
        type: 'button', class: 'small reveal', dataset: { field: name },
        title: 'Show this field unmasked (audited, counts against your quota)',
        onclick: (e) => reveal(key, name, value, e.currentTarget),
      }, 'Reveal')
      : null;
    return h('tr', {}, h('th', { scope: 'row' }, LABELS[name] || name), h('td', {}, value), h('td', { class: 'act' }, action));
  });
  const casesArea = h('div', { class: 'cases' });
  return h('article', { class: 'card person', dataset: { masked: formatValue(record.national_id) } },
    h('header', { class: 'card-head' },
      h('h3', {}, formatValue(record.name), ' ', h('span', { class: 'muted' }, formatValue(record.national_id))),
      key ? h('button', { type: 'button', class: 'small', onclick: () => showCases(key, casesArea) }, 'Cases') : null),
    h('table', { class: 'record' }, h('tbody', {}, rows)),
    key ? null : h('p', { class: 'hint' }, 'Open by full national ID to reveal fields or see cases.'),
    casesArea);
}

async function reveal(key, name, valueEl, button) {
  await withPurpose(async (purpose) => {
    const answer = await api.call('POST', api.path('v1', 'persons', key, 'reveal'),
      { body: { fields: [name] }, purpose });
    const fields = (answer && answer.fields) || {};
    replace(valueEl, name in fields ? formatValue(fields[name]) : '—');
    valueEl.classList.remove('masked');
    valueEl.classList.add('revealed');
    button.replaceWith(h('span', { class: 'badge' }, 'revealed'));
  });
}

function caseTable(cases) {
  if (!cases.length) return h('p', { class: 'muted' }, 'No cases refer to this person.');
  const fields = orderedFields(Object.assign({}, ...cases), CASE_ORDER);
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, fields.map((f) => h('th', { scope: 'col' }, LABELS[f] || f)))),
    h('tbody', {}, cases.map((c) => h('tr', {}, fields.map((f) => h('td', {}, formatValue(c[f])))))));
}

async function showCases(key, area) {
  await withPurpose(async (purpose) => {
    const answer = await api.call('GET', api.path('v1', 'persons', key, 'cases'), { purpose });
    const cases = (answer && answer.results) || [];
    replace(area, h('h4', {}, `Cases (${cases.length}${answer.truncated ? ', truncated' : ''})`), caseTable(cases));
  });
}

function lookupForm(results) {
  const id = h('input', {
    name: 'national_id', id: 'lookup-id', required: true, autocomplete: 'off', spellcheck: 'false',
    maxlength: 18, minlength: 15, pattern: '[0-9]{15}|[0-9]{17}[0-9Xx]', placeholder: '18-digit resident ID',
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
  h('h2', {}, 'Look up'),
  field('National ID', id),
  h('button', { type: 'submit', class: 'primary' }, 'Look up'));
  return form;
}

function searchForm(results) {
  const investigator = api.hasRole('investigator');
  const mode = h('select', { name: 'mode', id: 'search-mode' },
    h('option', { value: 'phone' }, 'Phone'),
    h('option', { value: 'name_birth' }, 'Name and birth date'),
    investigator ? h('option', { value: 'name' }, 'Name only') : null);
  const phone = field('Phone', h('input', { name: 'phone', id: 'search-phone', autocomplete: 'off', inputmode: 'tel', placeholder: '+86 138 0013 8000' }));
  const name = field('Name', h('input', { name: 'name', id: 'search-name', autocomplete: 'off' }));
  const birth = field('Birth date', h('input', { name: 'birth_date', id: 'search-birth', type: 'date' }));
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
          h('p', { class: 'summary' }, `${found.length} result${found.length === 1 ? '' : 's'}`,
            answer.truncated ? ' (capped: narrow the search)' : ''),
          found.map((r) => personCard(r, null)));
      }));
    },
  },
  h('h2', {}, 'Search'),
  field('By', mode), phone, name, birth,
  h('button', { type: 'submit', class: 'primary' }, 'Search'));
  return form;
}

export function renderRecords(main) {
  const results = h('section', { id: 'results', class: 'results', 'aria-live': 'polite' });
  replace(main,
    purposePanel('case'),
    h('div', { class: 'columns' }, lookupForm(results), searchForm(results)),
    results);
}
