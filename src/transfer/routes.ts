import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { currentUser, requireUser } from '../auth/session.js';
import { isFragmentRequest } from '../http/htmx.js';
import { importBookmarks, type ImportReport, type SkipReason } from '../bookmarks/commands.js';
import { bookmarksOldestFirst } from '../bookmarks/queries.js';
import { netscapeFile } from './netscape.js';
import { ImportBudgetError, ImportReader } from './import-reader.js';
import { PRIVATE_CACHE_CONTROL } from '../http/caching.js';
import { countLabel } from '../english-format.js';

export const IMPORT_LIMIT_BYTES = 20 * 1024 * 1024;
/**
 * Imports one process takes at once. Each holds its whole upload in memory (up to 20 MB)
 * until its bookmarks are stored, so imports are let in before their upload is read: two
 * being read by the parse workers, two waiting for them, one per user.
 */
export const IMPORTS_AT_ONCE = 4;

/** A skip reason of the report as it reads for more than one entry ("2 bookmarklets"). */
const SEVERAL_SKIPPED: Record<SkipReason, string> = {
  bookmarklet: 'bookmarklets',
  'not a web address': 'not web addresses',
  'invalid address': 'invalid addresses',
};

/** Import and export of Netscape bookmark files, for the signed-in user. */
export async function transferRoutes(app: FastifyInstance): Promise<void> {
  // Multipart is parsed only in this plugin: everywhere else the 64 KB body limit stands.
  await app.register(multipart, { limits: { fileSize: IMPORT_LIMIT_BYTES, files: 1, fields: 4, parts: 5 } });
  app.addHook('preHandler', requireUser);
  const budget = app.config.importBudget;
  const reader = new ImportReader(budget);
  /** Whose import this process is taking: in memory, as what it bounds is this process's memory. */
  const importing = new Set<string>();
  // After in-flight requests have finished (an import among them gets its budget), never before.
  app.addHook('onClose', () => reader.close());
  const overBudget: Record<ImportBudgetError['exceeded'], string> = {
    time: `That file took longer to read than this app allows (${budget.timeMs / 1000} seconds). Check that it is a bookmarks file exported by a browser, or split it into smaller files.`,
    memory: 'That file needs more memory to read than this app allows. Check that it is a bookmarks file exported by a browser, or split it into smaller files.',
    entries: `That file holds more than ${countLabel(budget.entries)} bookmarks, more than this app imports at once. Split it into smaller files.`,
    characters: `That file's bookmarks hold more than ${countLabel(budget.characters)} characters of addresses, titles, descriptions and tags, more than this app imports at once (each folder is a tag of every bookmark in it). Split it into smaller files.`,
  };

  function renderImport(request: FastifyRequest, reply: FastifyReply, status: number, { error, report }: { error?: string; report?: ImportReport }) {
    reply.code(status);
    const template = isFragmentRequest(request) ? 'partials/import-form.njk' : 'pages/import.njk';
    const skipped = report?.skipped.map(({ reason, count }) => ({ count, label: count === 1 ? reason : SEVERAL_SKIPPED[reason] }));
    return reply.viewAsync(template, { user: currentUser(request), error, report: report && { ...report, skipped } });
  }

  // Signed out, the sign-in comes back here rather than to the dashboard.
  app.get('/import', { config: { returnAfterSignIn: { cuttable: [] } } }, async (request, reply) => renderImport(request, reply, 200, {}));

  app.post('/import', async (request, reply) => {
    if (!request.isMultipart()) return renderImport(request, reply, 422, { error: 'Choose a bookmarks file to import.' });
    // htmx swaps only the statuses listed in layout.njk, and 413 or 400 from the error
    // handler elsewhere is plain text that must not land in a page: so an htmx upload
    // gets the re-rendered form as 422, like every other form error; without htmx the
    // precise status stays.
    const uploadError = (status: number): number => (isFragmentRequest(request) ? 422 : status);
    // Refused before a byte of the upload is read: an unread body is discarded, never held.
    const owner = currentUser(request).sub;
    if (importing.has(owner)) {
      return renderImport(request, reply, 409, { error: 'Your last import is still running. Wait for its report, then import this file.' });
    }
    if (importing.size >= IMPORTS_AT_ONCE) {
      reply.header('Retry-After', '30');
      return renderImport(request, reply, uploadError(503), { error: 'Other imports are running right now. Try again in a minute.' });
    }
    importing.add(owner);
    try {
      return await importUpload(request, reply, owner, uploadError);
    } finally {
      importing.delete(owner);
    }
  });

  async function importUpload(request: FastifyRequest, reply: FastifyReply, owner: string, uploadError: (status: number) => number) {
    let content: Buffer | undefined;
    let fileName = '';
    try {
      const file = await request.file();
      fileName = file?.filename ?? '';
      content = await file?.toBuffer();
    } catch (error) {
      const { RequestFileTooLargeError, FilesLimitError, FieldsLimitError, PartsLimitError } = app.multipartErrors;
      if (error instanceof RequestFileTooLargeError) {
        return renderImport(request, reply, uploadError(413), { error: 'That file is larger than 20 MB. Export fewer bookmarks or split the file.' });
      }
      // Also 413 from @fastify/multipart, but over the counts of the limits above, not the size:
      // the form sends one file, so this was sent some other way.
      if (error instanceof FilesLimitError || error instanceof FieldsLimitError || error instanceof PartsLimitError) {
        request.log.info({ err: error }, 'upload with more parts than the import form sends');
        return renderImport(request, reply, uploadError(400), { error: 'That upload could not be read: send one bookmarks file, and nothing else.' });
      }
      const status = (error as { statusCode?: number }).statusCode;
      // A malformed upload (no boundary, cut-off part) is the sender's mistake, not a 500.
      if (status === undefined || (status >= 400 && status < 500)) {
        request.log.info({ err: error }, 'unreadable upload');
        return renderImport(request, reply, uploadError(400), { error: 'That upload could not be read. Choose the file again and retry.' });
      }
      throw error;
    }
    // A browser sends a form without a file as a part with no file name; a file of 0 bytes was chosen, and is told apart.
    if (!content || content.length === 0) {
      const error = fileName === '' ? 'Choose a bookmarks file to import.' : 'That file is empty. Choose the HTML file your browser exported.';
      return renderImport(request, reply, 422, { error });
    }
    request.log.info({ bytes: content.length }, 'import: reading the file');
    const started = performance.now();
    let candidates;
    try {
      candidates = await reader.read(content);
    } catch (error) {
      if (!(error instanceof ImportBudgetError)) throw error;
      request.log.warn({ bytes: content.length, exceeded: error.exceeded }, 'import: file over its budget');
      return renderImport(request, reply, 422, { error: overBudget[error.exceeded] });
    }
    request.log.info({ entries: candidates.length, ms: Math.round(performance.now() - started) }, 'import: file read');
    if (candidates.length === 0) {
      return renderImport(request, reply, 422, { error: 'No bookmarks found. Choose an HTML bookmarks file exported by a browser.' });
    }
    const report = await importBookmarks(app.db, owner, candidates);
    request.log.info({ imported: report.imported, duplicates: report.duplicates }, 'bookmarks imported');
    // An import leaves the search index in several large segments: merged, searches read one.
    if (report.imported > 0) app.searchIndexUpkeep.request();
    return renderImport(request, reply, 200, { report });
  }

  /** Whose export this process is sending: one at a time each, as each takes its share of every turn of the event loop. */
  const exporting = new Set<string>();

  app.get('/export', async (request, reply) => {
    const user = currentUser(request);
    if (exporting.has(user.sub)) {
      return reply.code(409).viewAsync('pages/import.njk', { user, exportError: 'Your last export is still downloading. Wait for it to finish, then download again.' });
    }
    const date = new Date().toISOString().slice(0, 10);
    reply
      .type('text/html; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="bookmarks-${date}.html"`)
      .header('Cache-Control', PRIVATE_CACHE_CONTROL);
    // HEAD gets the headers alone: a file sent to no one would still be read to its end.
    if (request.method === 'HEAD') return reply.send();
    exporting.add(user.sub);
    // Not object mode: the stream asks for the next batch only once the last one is on its way to the browser.
    const file = Readable.from(netscapeFile(bookmarksOldestFirst(app.db, user.sub)), { objectMode: false });
    // Sent whole (the stream ends before the answer does), or failed or dropped by the browser
    // halfway (the stream closes): either way the user's turn is over.
    const release = (): boolean => exporting.delete(user.sub);
    file.once('end', release).once('close', release);
    return reply.send(file);
  });
}
