/**
 * Query and form values arrive as strings, arrays or nothing; only a single string counts. A
 * JSON body can carry a lone surrogate, which no page can encode into a link (encodeURIComponent
 * throws): it reads as white space, as it does wherever text is stored (validation.ts, cleanText).
 */
export const text = (value: unknown): string => (typeof value === 'string' ? value.replace(/\p{Cs}/gu, ' ') : '');

/** One field of a parsed form body, as text. */
export const bodyField = (body: unknown, name: string): string => text((body as Record<string, unknown> | undefined)?.[name]);

/** Ids are positive integers; anything else is simply not found. */
export function parseId(raw: string): number | null {
  return /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : null;
}
