import type { RouteOptions } from 'fastify';
import { NAMED_SCHEMAS } from './schemas.js';

export interface RouteSchema {
  summary?: string;
  description?: string;
  params?: object;
  querystring?: object;
  body?: object;
  response?: Record<number | string, object>;
}

export interface CollectedRoute {
  method: string;
  path: string;
  schema: RouteSchema;
  public: boolean;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const names = new Map<object, string>(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [schema, name]));

/** Copies a schema, turning every named schema (by identity) into a $ref to components. */
function withRefs(schema: unknown, top = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withRefs(item, false));
  if (!isObject(schema)) return schema;
  const name = names.get(schema);
  if (name && !top) return { $ref: `#/components/schemas/${name}` };
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withRefs(value, false)]));
}

function parameters(where: 'path' | 'query', schema: object | undefined): JsonObject[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = property as JsonObject;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: withRefs(rest),
    };
  });
}

function responses(response: RouteSchema['response']): JsonObject {
  const result: JsonObject = {};
  for (const [status, entry] of Object.entries(response ?? {})) {
    if (isObject(entry) && isObject(entry.content)) {
      result[status] = { description: entry.description ?? '', content: withRefs({ ...entry.content }, false) };
    } else if (status === '204') {
      result[status] = { description: (entry as JsonObject).description ?? 'No content' };
    } else {
      result[status] = { description: (entry as JsonObject).description ?? 'OK', content: { 'application/json': { schema: withRefs(entry, false) } } };
    }
  }
  return result;
}

/**
 * Records the routes of the plugin it is added to; HEAD twins of GET routes are left out.
 * A route without a schema would be missing from the document, so it stops the app instead.
 */
export function collectRoutes(into: CollectedRoute[], prefix: string) {
  return (route: RouteOptions): void => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      if (!route.schema) throw new Error(`API route ${method} ${route.url} has no schema, so the OpenAPI document cannot describe it`);
      into.push({
        method: method.toLowerCase(),
        path: route.url.slice(prefix.length).replace(/:(\w+)/g, '{$1}') || '/',
        schema: route.schema as RouteSchema,
        public: (route.config as { public?: boolean } | undefined)?.public === true,
      });
    }
  };
}

/** An OpenAPI 3.1 document for the collected routes. JSON Schema in 3.1 is the same dialect the routes use. */
export function buildOpenApi(routes: CollectedRoute[], serverUrl: string): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const { schema } = route;
    const operation: JsonObject = {
      operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(schema.summary ? { summary: schema.summary } : {}),
      ...(schema.description ? { description: schema.description } : {}),
      parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
      responses: responses(schema.response),
      ...(route.public ? { security: [] } : {}),
    };
    if (schema.body) operation.requestBody = { required: true, content: { 'application/json': { schema: withRefs(schema.body, false) } } };
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Bookmarks API',
      version: '1.0.0',
      description: 'Your bookmarks as JSON. Authenticate with a personal access token from Settings: `Authorization: Bearer bm_…`. Errors are application/problem+json (RFC 9457).',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: serverUrl }],
    security: [{ bearerToken: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [name, withRefs(schema)])),
      securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer', description: 'A personal access token (bm_…).' } },
    },
  };
}
