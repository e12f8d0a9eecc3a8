// The stated purpose of personal-data requests (SPEC §4): the kind and
// reference go into Warden-Purpose ("case/2024-310115-0042"), the optional
// reason into Warden-Reason. The console does not judge them: the server
// refuses a missing or malformed purpose (400 purpose_required /
// purpose_invalid) and the refusal is shown like any other error.
import { h, field } from './dom.js';
import { t } from './i18n.js';

const KINDS = ['case', 'subject-request', 'correction', 'import', 'audit'];

let form = null;

// The purpose panel; `defaultKind` preselects a kind (auditors: "audit").
export function purposePanel(defaultKind = 'case') {
  const kind = h('select', { name: 'purpose_kind', id: 'purpose-kind' },
    KINDS.map((value) => h('option', { value, selected: value === defaultKind }, t(`purpose.kind.${value}`))));
  const reference = h('input', {
    name: 'purpose_reference', id: 'purpose-reference', autocomplete: 'off', maxlength: 64,
    placeholder: t('purpose.referencePlaceholder'), spellcheck: 'false',
  });
  const reason = h('input', {
    name: 'purpose_reason', id: 'purpose-reason', autocomplete: 'off', maxlength: 200,
    placeholder: t('purpose.reasonPlaceholder'),
  });
  form = h('form', { class: 'purpose card', id: 'purpose', onsubmit: (e) => e.preventDefault() },
    h('h2', {}, t('purpose.title')),
    h('p', { class: 'hint' }, t('purpose.hint')),
    h('div', { class: 'row' },
      field(t('purpose.kind'), kind),
      field(t('purpose.reference'), reference),
      field(t('purpose.reason'), reason)));
  return form;
}

// {purpose: "kind/reference", reason} or {purpose: ""} when no reference is given.
export function currentPurpose() {
  if (!form) return { purpose: '', reason: '' };
  const kind = form.elements.purpose_kind.value;
  const reference = form.elements.purpose_reference.value.trim();
  const reason = form.elements.purpose_reason.value.trim();
  return { purpose: reference ? `${kind}/${reference}` : '', reason };
}

// Marks the panel when the server refused the purpose.
export function flagPurpose(code) {
  if (!form) return;
  const bad = code === 'purpose_required' || code === 'purpose_invalid';
  form.classList.toggle('flagged', bad);
  if (bad) form.elements.purpose_reference.focus();
}
