// The console's only way to the server: same-origin JSON calls under /v1.
//
// The session token lives in this module's memory only: never in a cookie,
// localStorage or sessionStorage, so closing or reloading the tab ends the
// console's use of it and no other page or script of the origin can read it
// back later. Logging out also ends it on the server (/v1/auth/logout).

let session = null; // {token, username, roles: [], expiresAt}
const sessionListeners = [];

// An answer other than 2xx, carrying the API's error body
// {"error": {"code", "message", "fields": [{"field", "rule"}]}}.
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || (status === 0 ? 'network_error' : 'http_' + status);
    this.fields = Array.isArray(error.fields) ? error.fields : [];
  }
}

export function currentSession() {
  return session;
}

export function hasRole(role) {
  return !!session && session.roles.includes(role);
}

// `fn(session or null)` runs whenever the session starts or ends.
export function onSessionChange(fn) {
  sessionListeners.push(fn);
}

function setSession(next) {
  session = next;
  for (const fn of sessionListeners) fn(session);
}

// Header values are byte strings: send UTF-8 bytes (the server reads
// Warden-Reason as UTF-8), one character per byte.
function utf8Header(text) {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return out;
}

// call('GET', '/v1/persons/ID', {purpose: {purpose: 'case/X', reason: ''}})
// Resolves to the parsed JSON answer; rejects with ApiError. A 401 on an
// authenticated call ends the session (expired, logged out elsewhere, locked).
export async function call(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  if (session) headers.Authorization = 'Bearer ' + session.token;
  if (options.purpose && options.purpose.purpose) {
    headers['Warden-Purpose'] = options.purpose.purpose;
    if (options.purpose.reason) headers['Warden-Reason'] = utf8Header(options.purpose.reason);
  }
  const init = { method, headers, credentials: 'omit', cache: 'no-store', redirect: 'error' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network_error', message: 'The server cannot be reached.' } });
  }
  let body = null;
  const text = await response.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch (e) {
      body = null;
    }
  }
  if (!response.ok) {
    const err = new ApiError(response.status, body);
    if (response.status === 401 && session && !options.keepSessionOn401) setSession(null);
    throw err;
  }
  return body;
}

// Path segments are always encoded: a typed value never changes the route.
export function path(...segments) {
  return '/' + segments.map((s) => encodeURIComponent(String(s))).join('/');
}

export async function login(username, password, totp) {
  const answer = await call('POST', '/v1/auth/login', { body: { username, password, totp } });
  setSession({
    token: answer.token,
    username,
    roles: Array.isArray(answer.roles) ? answer.roles : [],
    expiresAt: answer.expires_at || '',
  });
  return session;
}

// Ends the session on the server, and here whatever the server says.
export async function logout() {
  if (!session) return;
  try {
    await call('POST', '/v1/auth/logout', { keepSessionOn401: true });
  } finally {
    setSession(null);
  }
}
