// Checks the API exchanges the C++ end-to-end suites recorded (the harness
// writes them when WARDEN_E2E_EXCHANGES names a folder) against
// docs/openapi.yaml: every documented call's status must be documented, its
// answer must match the status's schema, and a request the server accepted
// must match the request schema. Exits 1 on any mismatch, or when nothing
// was recorded (a check that saw nothing proves nothing).
//
// Usage: node openapi_exchanges_check.mjs FOLDER   (WARDEN_WEB_DIR: web/)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenApiChecker } from './openapi_exchanges.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const folder = process.argv[2];
const webDir = path.resolve(process.env.WARDEN_WEB_DIR || path.join(here, '..', '..', 'web'));
if (!folder) {
  console.error('usage: openapi_exchanges_check.mjs FOLDER');
  process.exit(2);
}
const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.jsonl')) : [];
const checker = new OpenApiChecker(webDir, path.join(here, '..', '..', 'docs', 'openapi.yaml'),
  { skipUnknownPaths: true });
for (const file of files) {
  for (const line of fs.readFileSync(path.join(folder, file), 'utf8').split('\n')) {
    if (!line) continue;
    const x = JSON.parse(line);
    checker.check({ method: x.method, path: x.target, status: x.status, requestBody: x.request,
      contentType: x.content_type, body: x.body });
  }
}
// The same mistake in many exchanges is reported once, with a count.
const counts = new Map();
for (const p of checker.problems) counts.set(p, (counts.get(p) || 0) + 1);
for (const [p, n] of counts) console.log(`FAIL ${p}${n > 1 ? ` (${n} times)` : ''}`);
console.log(`${checker.checked - checker.skipped} exchanges of ${checker.covered.size} operations checked against docs/openapi.yaml ` +
  `(${files.length} files; ${checker.skipped} to paths or methods the document does not have, sent on purpose)`);
if (checker.checked - checker.skipped === 0) {
  console.log('FAIL nothing was recorded: run the e2e suites with WARDEN_E2E_EXCHANGES first');
  process.exit(1);
}
process.exit(checker.problems.length ? 1 : 0);
