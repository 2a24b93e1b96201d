import { LIMITS } from '../bookmarks/validation.js';
import { MAX_SEARCH_TERMS, TAG_INDEX_WORDS } from '../bookmarks/search-syntax.js';

/** JSON Schemas shared by Fastify (validation, serialization) and the OpenAPI document (by object identity). */
export const BookmarkSchema = {
  type: 'object',
  required: ['id', 'url', 'title', 'description', 'tags', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', minimum: 1 },
    url: {
      type: 'string',
      pattern: '^https?://',
      // Not format "uri": RFC 3986 would percent-encode what WHATWG URL (as browsers) leaves, as in ?a=1|2&b[]=3.
      description: 'The http or https address, as a browser serialises it (WHATWG URL): it may hold | [ ] ^ { } in its query.',
    },
    title: { type: 'string' },
    description: { type: 'string', description: 'Empty when there is none.' },
    tags: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const BookmarkPageSchema = {
  type: 'object',
  required: ['items', 'total', 'nextCursor'],
  additionalProperties: false,
  properties: {
    items: { type: 'array', items: BookmarkSchema },
    total: { type: 'integer', minimum: 0, description: 'How many bookmarks match the query in all.' },
    nextCursor: {
      type: ['string', 'null'],
      description: 'Pass as `cursor` to get the next page; null on the last page.',
    },
  },
} as const;

export const TagListSchema = {
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['tag', 'count'],
        additionalProperties: false,
        properties: { tag: { type: 'string' }, count: { type: 'integer', minimum: 1 } },
      },
    },
  },
} as const;

const tagsField = {
  type: 'array',
  maxItems: 100,
  items: { type: 'string', maxLength: 200 },
  description: `One tag an item, normalised like the form: lowercased, a leading # dropped, duplicates removed; at most ${LIMITS.tagCount} tags of ${LIMITS.tagLength} characters. An item the form would read as several tags (words apart by a space or a comma) is refused (422), not split.`,
} as const;

export const NewBookmarkSchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', maxLength: 8192, description: 'An http or https address.' },
    title: {
      type: 'string',
      maxLength: 8192,
      description: `Left out or empty: the page's own title, fetched within a few seconds (with its description, when that is left out too), else the host name. At most ${LIMITS.titleLength} characters.`,
    },
    description: { type: 'string', maxLength: 8192, description: `At most ${LIMITS.descriptionLength} characters.` },
    tags: tagsField,
  },
} as const;

export const BookmarkChangesSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: {
    url: NewBookmarkSchema.properties.url,
    title: { type: 'string', maxLength: 8192, description: `Empty: the host name. At most ${LIMITS.titleLength} characters.` },
    description: NewBookmarkSchema.properties.description,
    tags: tagsField,
  },
} as const;

export const ProblemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    invalidParams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'in', 'reason'],
        properties: { name: { type: 'string' }, in: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    existingId: { type: 'integer', description: 'On 409: the id of the bookmark that already has this address.' },
  },
} as const;

export const IdParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

export const MAX_PAGE_SIZE = 100;

export const SearchQuerySchema = {
  type: 'object',
  properties: {
    q: {
      type: 'string',
      maxLength: 500,
      description: `Search syntax: words, "a phrase", #tag, -word, -#tag. At most ${MAX_SEARCH_TERMS} words, repeats not counted: each word of a phrase, and of a tag of up to ${TAG_INDEX_WORDS} words, counts (400 beyond).`,
    },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 },
    cursor: { type: 'string', pattern: '^\\d{1,15}\\.\\d{1,15}$', description: 'The nextCursor of the previous page.' },
    url: {
      type: 'string',
      maxLength: 8192,
      description: 'Whether this address is saved: the page holds the bookmark for it (ignoring scheme and host case and a trailing slash), or nothing. Not with q or cursor.',
    },
  },
} as const;

/** Named schemas become #/components/schemas entries in the OpenAPI document. */
export const NAMED_SCHEMAS: Record<string, object> = {
  Bookmark: BookmarkSchema,
  BookmarkPage: BookmarkPageSchema,
  TagList: TagListSchema,
  NewBookmark: NewBookmarkSchema,
  BookmarkChanges: BookmarkChangesSchema,
  Problem: ProblemSchema,
};

/** Error responses in a route schema: problem+json with the status's meaning. */
export function problems(...statuses: number[]): Record<number, object> {
  const descriptions: Record<number, string> = {
    400: 'The request does not match the schema, its body is not JSON in UTF-8 (or holds a __proto__ or constructor.prototype key), or its path cannot be decoded; invalidParams names the field, `body` or `path`.',
    401: 'Missing, unknown, revoked or expired token.',
    404: 'No such bookmark among yours.',
    409: 'You already saved this address; existingId names it.',
    413: 'Request body too large.',
    415: 'Request body is not JSON.',
    422: 'The fields are well-formed but not acceptable; invalidParams says why.',
    429: 'Rate limit reached; see Retry-After.',
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: descriptions[status] ?? 'Error', content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
}
