import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * Every use of Intl, or of what loads ICU's locale data as Intl does, recorded with its stack from
 * before any module of the app loads: a formatter made when a module loads counts too.
 */
const intlUses = vi.hoisted(() => {
  const uses: string[] = [];
  const record = (name: string): void => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 100;
    uses.push(`${name}\n${new Error().stack}`);
    Error.stackTraceLimit = limit;
  };
  for (const name of ['DateTimeFormat', 'NumberFormat', 'Collator', 'PluralRules', 'RelativeTimeFormat', 'ListFormat', 'Segmenter'] as const) {
    const Original = Intl[name] as unknown as new (...args: unknown[]) => object;
    (Intl as unknown as Record<string, unknown>)[name] = new Proxy(Original, {
      construct(target, args) {
        record(`Intl.${name}`);
        return Reflect.construct(target, args);
      },
      apply(target, self, args) {
        record(`Intl.${name}`);
        return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, self, args);
      },
    });
  }
  const wrap = (owner: object, method: string): void => {
    const original = (owner as Record<string, (...args: unknown[]) => unknown>)[method]!;
    (owner as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      record(method);
      return original.apply(this, args);
    };
  };
  wrap(Number.prototype, 'toLocaleString');
  wrap(Date.prototype, 'toLocaleString');
  wrap(Date.prototype, 'toLocaleDateString');
  wrap(Date.prototype, 'toLocaleTimeString');
  wrap(String.prototype, 'localeCompare');
  return uses;
});

import { countLabel, dayLabel, minuteLabel } from '../src/english-format.js';
import { countOnce } from '../src/db/remembered-counts.js';
import { as, buildTestApp, signIn, startTestProvider, type AppContext } from './helpers.js';
import type { LocalProvider } from '../src/dev/oidc-provider.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
/** Uses from the app's code: a frame in src/, other than the embedded provider's (development only). */
const appUses = (uses: string[] = intlUses): string[] => uses.filter((stack) => stack.split('\n').some((frame) => frame.includes(SRC) && !frame.includes(`${SRC}dev/`)));

describe('English dates and counts without Intl', () => {
  // After 1970, as stored dates are (imports refuse others), to the year 9999.
  const storedDates = fc.date({ min: new Date(1), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
  // Some ICU versions put a narrow no-break space before AM/PM; the app writes a plain one.
  const plainSpaces = (text: string): string => text.replaceAll('\u202f', ' ');

  it('writes a day as Intl writes dateStyle medium in English and UTC ("Dec 1, 2026")', () => {
    const intl = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });
    expect(dayLabel(new Date('2026-12-01T23:59:00Z'))).toBe('Dec 1, 2026');
    fc.assert(fc.property(storedDates, (date) => dayLabel(date) === plainSpaces(intl.format(date))), { numRuns: 2_000 });
  });

  it('writes a minute as Intl writes dateStyle medium and timeStyle short ("Dec 1, 2026, 12:04 AM")', () => {
    const intl = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
    expect(minuteLabel(new Date('2026-12-01T00:04:00Z'))).toBe('Dec 1, 2026, 12:04 AM');
    expect(minuteLabel(new Date('2026-12-01T12:00:59Z'))).toBe('Dec 1, 2026, 12:00 PM');
    fc.assert(fc.property(storedDates, (date) => minuteLabel(date) === plainSpaces(intl.format(date))), { numRuns: 2_000 });
  });

  it('writes a count with thousands separators, as toLocaleString("en") does', () => {
    expect(countLabel(500_000)).toBe('500,000');
    fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (count) => countLabel(count) === count.toLocaleString('en')), { numRuns: 2_000 });
  });
});

describe('pages that show dates and counts', () => {
  let provider: LocalProvider;
  const ctx = {} as AppContext;
  beforeAll(async () => {
    provider = await startTestProvider();
    ctx.app = await buildTestApp(provider);
    ctx.cookies = { ada: await signIn(ctx.app, 'ada') };
  });
  afterAll(async () => {
    await ctx.app?.close();
    await provider?.close();
  });

  it('would see a use of Intl made from the app’s code (the check below can fail)', async () => {
    const before = intlUses.length;
    // countOnce (src/db/remembered-counts.ts) calls what it is given at once: a frame of src/ is on the stack.
    await countOnce(new Map(), 'control', async () => Number(new Intl.NumberFormat('en').format(1)), 1);
    (1).toLocaleString('en');
    const recorded = intlUses.splice(before);
    expect(recorded).toHaveLength(2);
    expect(appUses(recorded)).toHaveLength(1);
  });

  it('render them without loading Intl, from the app’s modules loading on (so no process of the app pays for ICU’s locale data)', async () => {
    const ada = as(ctx, 'ada');
    expect((await ada.post('/bookmarks', { url: 'https://dated.example/', title: 'Dated', tags: '' })).statusCode).toBe(303);
    const dashboard = await ada.get('/dashboard');
    expect(dashboard.body).toContain(`>${dayLabel(new Date())}</time>`);
    expect((await ada.htmx.post('/settings/tokens', { name: 'laptop', expiry: 'never' })).statusCode).toBe(201);
    const settings = await ada.get('/settings');
    expect(settings.body).toMatch(/Created <time datetime="[^"]+">[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC<\/time>/);
    expect((await ada.get('/import')).statusCode).toBe(200);
    expect(appUses()).toEqual([]);
  });
});
