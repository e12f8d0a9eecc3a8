// The page's one message area: API errors (code, message, and the fields and
// rules they broke) and confirmations.
import { h, replace } from './dom.js';
import { t, errorText } from './i18n.js';

const box = () => document.getElementById('notice');

// Shows `err` (an ApiError or any Error) in the current language: its code
// and the translation of that code; the server's own (English) message is
// the title of the text. Returns the error's code.
export function showError(err) {
  const el = box();
  const code = err && err.code ? err.code : 'error';
  const fields = (err && err.fields) || [];
  replace(el,
    h('strong', { class: 'code' }, code),
    err && err.status ? h('span', { class: 'status' }, ' (', t('error.http', { status: err.status }), ')') : null,
    h('span', { class: 'message', title: (err && err.message) || '' }, ': ', errorText(code)),
    fields.length
      ? h('ul', { class: 'violations' },
        fields.map((f) => h('li', {}, h('code', {}, f.field || '?'), ' — ', t('error.fieldRule'), ' ', h('code', {}, f.rule || '?'))))
      : null,
    h('button', { type: 'button', class: 'quiet dismiss', onclick: clearNotice, 'aria-label': t('app.dismiss') }, '×'));
  el.className = 'notice error';
  el.dataset.code = code;
  el.hidden = false;
  return code;
}

export function showInfo(...content) {
  const el = box();
  replace(el, h('span', { class: 'message' }, content),
    h('button', { type: 'button', class: 'quiet dismiss', onclick: clearNotice, 'aria-label': t('app.dismiss') }, '×'));
  el.className = 'notice info';
  delete el.dataset.code;
  el.hidden = false;
}

export function clearNotice() {
  const el = box();
  el.hidden = true;
  el.replaceChildren();
  delete el.dataset.code;
}

// Runs `work`; shows its error instead of throwing.
export async function guarded(work) {
  try {
    clearNotice();
    return await work();
  } catch (err) {
    showError(err);
    return undefined;
  }
}
