// Checks recorded HTTP exchanges against docs/openapi.yaml with Ajv, so the
// document cannot drift from what the server really accepts and sends.
//
// For each exchange {method, path, status, requestBody, contentType, body}:
// - its path and method must be a documented operation (the console's own
//   files, `/` and `/console...`, are not API calls and are skipped);
// - its status must be one the operation documents;
// - a request body the server accepted (2xx) must match the operation's
//   request schema: what the server takes, the document allows;
// - a JSON answer must match the status's response schema, and a status
//   documented without content must come without a body.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

// Escapes one JSON-pointer segment (RFC 6901).
const pointer = (segment) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1');

export function isApiPath(p) {
  return !(p === '/' || p === '/console' || p.startsWith('/console/'));
}

export class OpenApiChecker {
  // `webDir` holds node_modules (ajv, ajv-formats, yaml); `docPath` the
  // document. With `skipUnknownPaths`, an exchange that names no documented
  // operation is counted in `skipped` rather than failed: for suites that
  // send wrong paths and methods on purpose (the route table and the
  // document are matched both ways by api_openapi_test).
  constructor(webDir, docPath, { skipUnknownPaths = false } = {}) {
    this.skipUnknownPaths = skipUnknownPaths;
    this.skipped = 0;
    const require = createRequire(path.join(webDir, 'package.json'));
    const Ajv = require('ajv');
    const addFormats = require('ajv-formats');
    const YAML = require('yaml');
    this.doc = YAML.parse(fs.readFileSync(docPath, 'utf8'));
    // Strict mode off: OpenAPI 3.0 schemas may carry keywords JSON Schema
    // does not know (example, nullable). Every error is reported in full.
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: this.doc.components, paths: this.doc.paths });
    // Templates, most literal segments first, so /v1/audit/verify is not
    // taken for /v1/{collection}/{key}.
    this.templates = Object.keys(this.doc.paths).map((t) => {
      const segments = t.split('/');
      const regex = new RegExp(`^${segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`);
      return { template: t, regex, literal: segments.filter((s) => !/^\{.+\}$/.test(s)).length };
    }).sort((a, b) => b.literal - a.literal);
    this.problems = [];
    this.checked = 0;
    this.covered = new Set();
  }

  // The operation a method and path name, or null.
  operation(method, p) {
    const m = method.toLowerCase();
    for (const t of this.templates) {
      if (t.regex.test(p) && this.doc.paths[t.template][m]) return { template: t.template, method: m };
    }
    return null;
  }

  // Follows an OpenAPI $ref (#/components/...) to the object and its pointer.
  resolve(obj, at) {
    let node = obj;
    let where = at;
    while (node && node.$ref) {
      where = node.$ref.slice(1);
      node = where.split('/').slice(1).reduce((o, k) => o[k.replaceAll('~1', '/').replaceAll('~0', '~')], this.doc);
    }
    return { node, where };
  }

  validate(where, value) {
    const validateFn = this.ajv.getSchema(`openapi#${where}`);
    if (!validateFn) return `no schema at ${where}`;
    if (validateFn(value)) return null;
    return validateFn.errors.map((e) => {
      const extra = e.params && e.params.additionalProperty;
      return `body${e.instancePath} ${e.message}${extra ? ` (${extra})` : ''}`;
    }).join('; ');
  }

  check(x) {
    const p = new URL(x.path, 'http://x').pathname;
    if (!isApiPath(p)) return;
    this.checked++;
    const op = this.operation(x.method, p);
    if (!op) {
      if (this.skipUnknownPaths) this.skipped++;
      else this.problems.push(`${x.method} ${x.path} → ${x.status}: no such operation in the document`);
      return;
    }
    const label = `${x.method} ${op.template} → ${x.status}`;
    this.covered.add(`${op.method.toUpperCase()} ${op.template}`);
    const base = `/paths/${pointer(op.template)}/${op.method}`;
    const operation = this.doc.paths[op.template][op.method];
    if (x.status >= 200 && x.status < 300 && x.requestBody !== undefined && operation.requestBody) {
      const { node, where } = this.resolve(operation.requestBody, `${base}/requestBody`);
      const media = node.content && node.content['application/json'];
      if (media && media.schema) {
        const error = this.validate(`${where}/content/application~1json/schema`, x.requestBody);
        if (error) this.problems.push(`${label}: the accepted request does not match the document: ${error}`);
      }
    }
    const declared = operation.responses[String(x.status)];
    if (!declared) {
      this.problems.push(`${label}: status ${x.status} is not documented for ${op.method.toUpperCase()} ${op.template}`);
      return;
    }
    const { node, where } = this.resolve(declared, `${base}/responses/${x.status}`);
    const json = node.content && node.content['application/json'];
    if (!node.content) {
      if (x.body !== undefined && x.body !== '' && x.body !== null) this.problems.push(`${label}: documented without content, but a body came`);
      return;
    }
    if (!json) return;  // text answers (metrics) are not JSON-checked
    if (!/^application\/json/.test(x.contentType || '')) {
      this.problems.push(`${label}: documented as JSON, answered as ${x.contentType}`);
      return;
    }
    const error = this.validate(`${where}/content/application~1json/schema`, x.body);
    if (error) this.problems.push(`${label}: the answer does not match the document: ${error}`);
  }
}
