import { setImmediate as nextTurn } from 'node:timers/promises';
import { Parser } from 'htmlparser2';
import { charsetParameter } from './charset.js';

export interface IconLink {
  href: string;
  /** The rel tokens, lowercased (`shortcut icon` → ['shortcut', 'icon']). */
  rel: string[];
  type: string;
  sizes: string;
}

/** What the head says, raw: entities decoded, whitespace untouched. */
export interface HeadInfo {
  title: string | null;
  /** `<meta name|property=… content=…>`, keys lowercased, the first of each kept. */
  metas: Map<string, string>;
  /** The first `<meta charset>` or `<meta http-equiv=content-type>` label. */
  charset: string | null;
  icons: IconLink[];
  baseHref: string | null;
}

export interface HeadScanner {
  /** Feeds decoded text; true once the head has ended, so the rest of the page is not needed. */
  write(text: string): boolean;
  end(): HeadInfo;
}

/**
 * Icon links kept from one head, the first ones: pages list a few sizes, rarely twenty, and
 * choosing among the 45,000 of a hostile page held the event loop for 60 ms.
 */
export const MAX_ICON_LINKS = 50;

/**
 * Elements open at once past which a head is taken as ended. A real head nests three or four
 * deep (html, head, a <noscript>; what a <noscript> or <template> holds opens nothing, see
 * HeadParser). htmlparser2 keeps its open elements in a list that it shifts at every opening
 * tag and searches at every closing one: a megabyte of unclosed tags held the event loop for 29 s.
 * Within this depth each of those steps is short, so a scan's time grows with the page's length alone.
 */
export const MAX_HEAD_DEPTH = 32;

/**
 * Tags read inside the head's <noscript> and <template> elements, past which the head is taken
 * as ended. A real one holds a tracking pixel, a stylesheet link, some markup; read through,
 * a megabyte of tags took 60 ms of the event loop.
 */
export const MAX_HELD_TAGS = 1_000;

/**
 * htmlparser2's Parser, taking every element inside a <noscript> or <template> of the head as
 * void (opened and closed at once), but another of the same: nothing in them matters to the
 * head, and so however they nest, or leave tags unclosed, they add nothing to the list of open
 * elements. Only MAX_HEAD_DEPTH limits the rest.
 */
class HeadParser extends Parser {
  constructor(
    handler: ConstructorParameters<typeof Parser>[0],
    options: ConstructorParameters<typeof Parser>[1],
    private readonly opensNothing: (name: string) => boolean,
  ) {
    super(handler, options);
  }

  protected override isVoidElement(name: string): boolean {
    return super.isVoidElement(name) || this.opensNothing(name);
  }
}

const HEAD_ELEMENTS = new Set(['html', 'head', 'title', 'base', 'link', 'meta', 'style', 'script', 'noscript', 'template']);
const ICON_RELS = new Set(['icon', 'apple-touch-icon', 'apple-touch-icon-precomposed']);
/** Elements whose text is not body content. */
const TEXT_HOLDERS = new Set(['title', 'style', 'script', 'noscript', 'template']);

/**
 * Streams HTML through htmlparser2 until the head ends: `</head>`, or the first thing that
 * belongs to the body (a body element, or text outside the head's text-holding elements).
 */
export function createHeadScanner(): HeadScanner {
  const info: HeadInfo = { title: null, metas: new Map(), charset: null, icons: [], baseHref: null };
  let done = false;
  let holder: string | null = null;
  let titleParts: string[] | null = null;
  /** Elements the parser holds open: every element it opens it reports, and every one it closes. */
  let depth = 0;
  /** Tags read inside <noscript> and <template>. */
  let held = 0;
  /** Inside a <noscript> or <template>, whose content matters nothing to the head. */
  const holding = (): boolean => holder === 'noscript' || holder === 'template';

  /** The head has ended: the parser stops at once, not at the end of the text it was given. */
  function stop(): void {
    done = true;
    parser.pause();
  }

  function onMeta(attributes: Record<string, string>): void {
    if (attributes.charset !== undefined) info.charset ??= attributes.charset.trim();
    if (attributes['http-equiv']?.trim().toLowerCase() === 'content-type') info.charset ??= charsetParameter(attributes.content);
    const content = attributes.content;
    if (content === undefined) return;
    // Open Graph uses property=, but plenty of pages write name="og:title".
    for (const key of [attributes.name, attributes.property]) {
      const name = key?.trim().toLowerCase();
      if (name && !info.metas.has(name)) info.metas.set(name, content);
    }
  }

  function onLink(attributes: Record<string, string>): void {
    if (attributes.href === undefined || attributes.rel === undefined || info.icons.length >= MAX_ICON_LINKS) return;
    const rel = attributes.rel.toLowerCase().split(/[\t\n\f\r ]+/).filter(Boolean);
    if (!rel.some((token) => ICON_RELS.has(token))) return;
    info.icons.push({ href: attributes.href, rel, type: (attributes.type ?? '').trim().toLowerCase(), sizes: attributes.sizes ?? '' });
  }

  const parser = new HeadParser(
    {
      onopentag(name, attributes) {
        if (done) return;
        if (++depth > MAX_HEAD_DEPTH) return stop();
        // A tracking pixel's <noscript><img></noscript> in the head does not start the body.
        if (holding()) {
          if (++held > MAX_HELD_TAGS) stop();
          return;
        }
        if (!HEAD_ELEMENTS.has(name)) return stop();
        if (holder === null && TEXT_HOLDERS.has(name)) {
          holder = name;
          if (name === 'title' && info.title === null) titleParts = [];
        }
        if (name === 'meta') onMeta(attributes);
        else if (name === 'link') onLink(attributes);
        else if (name === 'base' && attributes.href !== undefined) info.baseHref ??= attributes.href;
      },
      ontext(text) {
        if (done) return;
        if (holder === null) {
          if (/[^\t\n\f\r ]/.test(text)) stop();
        } else if (titleParts) titleParts.push(text);
      },
      onclosetag(name) {
        if (done) return;
        depth--;
        if (name === holder) {
          if (titleParts) info.title = titleParts.join('');
          titleParts = null;
          holder = null;
        }
        if (name === 'head') stop();
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    (name) => holding() && name !== holder,
  );

  return {
    write(text) {
      if (!done) parser.write(text);
      return done;
    },
    end() {
      if (!done) parser.end();
      if (titleParts) info.title = titleParts.join('');
      titleParts = null;
      return info;
    },
  };
}

/** Characters scanned between turns of the event loop: about 5 ms each. */
const SCAN_SLICE_CHARS = 64 * 1024;

/**
 * What a page's head says, read a slice at a time, giving the event loop back between
 * slices: read in one go, a head of 1 MB (45,000 icon links, say) held the process for 100-150 ms.
 */
export async function scanHeadInTurns(html: string): Promise<HeadInfo> {
  const scanner = createHeadScanner();
  for (let start = 0; start < html.length; ) {
    let end = Math.min(start + SCAN_SLICE_CHARS, html.length);
    // Never between the two halves of a surrogate pair.
    if (end < html.length && /[\uD800-\uDBFF]/.test(html[end - 1]!)) end++;
    if (scanner.write(html.slice(start, end))) break;
    start = end;
    if (start < html.length) await nextTurn();
  }
  return scanner.end();
}
