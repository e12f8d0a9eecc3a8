// Building the page from data without ever parsing HTML.
//
// Every value that comes from the server or the user enters the document as a
// text node or a property; nothing here touches innerHTML, outerHTML,
// insertAdjacentHTML or document.write, and inline styles and handlers are
// refused, so the pages run under the server's Content-Security-Policy
// (default-src 'self', no 'unsafe-inline', no eval).

const FORBIDDEN_PROPS = new Set(['innerHTML', 'outerHTML', 'style', 'srcdoc']);

// h('button', {class: 'primary', onclick: fn}, 'Save'): an element with
// attributes, event listeners (functions only) and children (nodes, strings,
// numbers, arrays of these; null/undefined/false are skipped).
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (FORBIDDEN_PROPS.has(name)) throw new Error(`h(): property ${name} is not allowed`);
    if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new Error(`h(): ${name} must be a function`);
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (typeof value === 'boolean' || typeof value === 'number') {
      if (name in el) el[name] = value;
      else el.setAttribute(name, value === true ? '' : String(value));
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

// Replaces the children of `el`.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A labelled form control: <label>Text <input ...></label>.
export function field(labelText, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, labelText), control,
    hint ? h('span', { class: 'hint' }, hint) : null);
}

// A table of `rows` (arrays of cells: strings or nodes) under `headings`.
export function table(headings, rows, options = {}) {
  return h('table', { class: options.class || 'grid' },
    options.caption ? h('caption', {}, options.caption) : null,
    h('thead', {}, h('tr', {}, headings.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

// The values of a form's named controls as strings (checkbox groups as arrays).
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') {
      if (!Array.isArray(out[el.name])) out[el.name] = [];
      if (el.checked) out[el.name].push(el.value);
    } else {
      out[el.name] = el.value.trim();
    }
  }
  return out;
}

// Disables a form's submit buttons while `work` runs.
export async function busy(form, work) {
  const buttons = form.querySelectorAll('button');
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute('aria-busy');
  }
}
