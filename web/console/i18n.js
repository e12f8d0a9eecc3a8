// The console's language: Simplified Chinese or English. Every string comes
// from the one table in messages.js through t(); dates and numbers are
// formatted by Intl in the locale's form. The choice is remembered in
// localStorage under one key, `warden.locale` (the only thing the console
// stores; the session token never is); without it, a browser that prefers
// Chinese gets Chinese and any other gets English.
import { LOCALES, MESSAGES } from './messages.js';

const STORAGE_KEY = 'warden.locale';
const listeners = [];
let current = initialLocale();

function initialLocale() {
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (LOCALES.includes(saved)) return saved;
  } catch { /* storage disabled: fall back to the browser's preference */ }
  const preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of preferred) {
    const lower = String(tag).toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

export function locale() {
  return current;
}

// Switches the language, remembers it and tells the listeners (which re-render).
export function setLocale(next) {
  if (!LOCALES.includes(next) || next === current) return;
  current = next;
  try { window.localStorage.setItem(STORAGE_KEY, next); } catch { /* not remembered */ }
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLocaleChange(fn) {
  listeners.push(fn);
}

// t('records.results', {n: 3}): the message in the current locale with its
// {placeholders} filled. A key missing from the table shows as the key, so a
// gap is visible (and the browser test finds it).
export function t(key, params = {}) {
  const text = MESSAGES[current][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// t() for a key that may be absent: `fallback` when the table has none.
export function tOr(key, fallback) {
  return key in MESSAGES[current] ? t(key) : fallback;
}

const numberFormats = new Map();
export function formatNumber(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n ?? '');
  if (!numberFormats.has(current)) numberFormats.set(current, new Intl.NumberFormat(current));
  return numberFormats.get(current).format(n);
}

const dateFormats = new Map();
// An RFC 3339 time as the locale writes it, in UTC (the trail's clock); the
// text unchanged if it is not a time.
export function formatTime(text) {
  const ms = Date.parse(text);
  if (!text || Number.isNaN(ms)) return text || '';
  if (!dateFormats.has(current)) {
    dateFormats.set(current, new Intl.DateTimeFormat(current, {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
      second: '2-digit', hour12: false, timeZone: 'UTC',
    }));
  }
  return dateFormats.get(current).format(new Date(ms));
}

// The names of roles, actions and the like: translated where the table has them.
export const roleName = (r) => tOr(`role.${r}`, r);
export const actionName = (a) => tOr(`action.${a}`, a);

// The text of an API error in the current locale: the translation of its
// stable code, else a generic sentence (the server's own English message is
// kept for the title attribute only).
export function errorText(code) {
  return tOr(`error.${code}`, t('error.generic'));
}

document.documentElement.lang = current;
