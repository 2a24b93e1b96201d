import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImportCandidate } from '../bookmarks/commands.js';
import type { CandidatesMessage, WorkerReply, WorkerRequest } from './parse-worker.js';

/** What reading one uploaded file may cost its worker thread. */
export interface ImportBudget {
  /** Wall-clock time for the parse, from the moment the worker has the file. */
  timeMs: number;
  /** The worker's V8 old generation (resourceLimits.maxOldGenerationSizeMb). */
  memoryMb: number;
  /** Bookmarks in one file. */
  entries: number;
  /**
   * Characters of text its bookmarks hold (addresses, titles, descriptions, and each different
   * list of tags once), which the app holds while it checks and stores them. A bookmark's own
   * TAGS add to its folders' names, so this can be far more than the file's bytes: 1.1 MB of
   * links, each with a tag of its own under nineteen folders with long names, ask for 24 million.
   * (Before lists were shared, 4.6 MB of links under such folders took 570 MB of the process's
   * heap, and two such imports at once took it past its limit.)
   */
  characters: number;
}

/**
 * Measured on this 2-core machine while other test suites ran (load 10 to 15): a 19 MB
 * export of 40,000 bookmarks with icons reads in 2 to 6 s within 128 MB; 20 MB of 225,000
 * bare bookmarks (about the most a real export fits in the upload limit) in 5 to 10 s
 * within 128 MB, and in about 1 s on an idle machine. Hostile 20 MB files (2 million
 * links, a million tags, 5 million nested lists, one huge title) stay within 128 MB once
 * the entry cap stops them. So the memory budget is a backstop four times above anything
 * a file can ask for: when a worker crosses its limit in one large allocation, V8 may
 * abort the whole process rather than stop the thread (nodejs/node#47224).
 */
export const DEFAULT_IMPORT_BUDGET: ImportBudget = { timeMs: 30_000, memoryMb: 512, entries: 500_000, characters: 24_000_000 };

/** Imports read at once; more wait their turn, so two files never hold more than two budgets. */
const WORKERS = 2;

export class ImportBudgetError extends Error {
  constructor(readonly exceeded: 'time' | 'memory' | 'entries' | 'characters') {
    super(`reading the import file went over its ${exceeded} budget`);
    this.name = 'ImportBudgetError';
  }
}

/**
 * The worker: dist/transfer/parse-worker.js next to this file in the build. From the
 * TypeScript sources (vitest, `npm run dev`, tests' servers run through tsx) a short script
 * registers tsx in the new thread first: Node 20 ignores --import in a worker's execArgv.
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./parse-worker.js', import.meta.url), eval: false };
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = new URL(exports['./esm/api']!.import.default, pathToFileURL(manifest));
  const worker = new URL('./parse-worker.ts', import.meta.url);
  return { entry: `import(${JSON.stringify(api.href)}).then(({ register }) => { register(); return import(${JSON.stringify(worker.href)}); });`, eval: true };
}
const WORKER = workerEntry();

interface Job {
  bytes: Uint8Array;
  resolve(candidates: ImportCandidate[]): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  ready: Promise<void>;
  /** Settles the job this thread is running, if any. */
  settle: ((outcome: { candidates: ImportCandidate[] } | { error: Error }) => void) | null;
  /** Takes the next message of the running job's candidates. */
  receive: ((message: CandidatesMessage) => void) | null;
}

const ask = (worker: Worker, request: WorkerRequest): void => worker.postMessage(request);

/**
 * Reads import files in worker threads, so a large or hostile file never holds the event
 * loop that serves everyone else, and a file over its budget is stopped. Threads are kept
 * for the next import (idle ones never hold the process open) and ended by close().
 */
export class ImportReader {
  readonly #budget: ImportBudget;
  readonly #idle: Thread[] = [];
  readonly #threads = new Set<Thread>();
  readonly #queue: Job[] = [];
  #running = 0;
  #closed = false;

  constructor(budget: ImportBudget) {
    this.#budget = budget;
  }

  /** The file's import candidates; rejects with ImportBudgetError when it costs too much. */
  read(bytes: Uint8Array): Promise<ImportCandidate[]> {
    if (this.#closed) return Promise.reject(new Error('the import reader is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ bytes, resolve, reject });
      this.#next();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the import reader is closed'));
    await Promise.all([...this.#threads].map((thread) => thread.worker.terminate()));
  }

  #next(): void {
    while (this.#queue.length > 0 && this.#running < WORKERS) {
      this.#running++;
      void this.#run(this.#queue.shift()!).finally(() => {
        this.#running--;
        this.#next();
      });
    }
  }

  async #run(job: Job): Promise<void> {
    const thread = this.#idle.pop() ?? this.#spawn();
    thread.worker.ref();
    try {
      await thread.ready;
    } catch (error) {
      job.reject(error as Error);
      return;
    }
    const outcome = await new Promise<{ candidates: ImportCandidate[] } | { error: Error }>((settle) => {
      // The time budget is the worker's, for reading the file: it ends with the first message
      // back. The messages after it wait on this thread's turns, however busy the app is.
      const timer = setTimeout(() => settle({ error: new ImportBudgetError('time') }), this.#budget.timeMs);
      thread.settle = (result) => {
        clearTimeout(timer);
        settle(result);
      };
      const received: ImportCandidate[] = [];
      const tagLists: string[][] = [];
      thread.receive = ({ candidates, newTagLists, more }) => {
        clearTimeout(timer);
        for (const list of newTagLists) tagLists.push(list);
        for (const candidate of candidates) received.push({ ...candidate, tags: tagLists[candidate.tags]! });
        // The next message after a turn of the event loop: everyone else's requests go between them.
        if (more) setImmediate(() => thread.settle && ask(thread.worker, 'more'));
        else thread.settle?.({ candidates: received });
      };
      ask(thread.worker, job.bytes);
    });
    thread.settle = null;
    thread.receive = null;
    // Over its time or memory budget, or broken, a thread is done: the next import starts a fresh one.
    const reusable = 'candidates' in outcome || (outcome.error instanceof ImportBudgetError && (outcome.error.exceeded === 'entries' || outcome.error.exceeded === 'characters'));
    if (reusable && !this.#closed) {
      thread.worker.unref();
      this.#idle.push(thread);
    } else {
      this.#threads.delete(thread);
      await thread.worker.terminate();
    }
    if ('candidates' in outcome) job.resolve(outcome.candidates);
    else job.reject(outcome.error);
  }

  #spawn(): Thread {
    const worker = new Worker(WORKER.entry, {
      eval: WORKER.eval,
      workerData: { maxEntries: this.#budget.entries, maxCharacters: this.#budget.characters },
      // Not the server's own flags (a --cpu-prof, a heap size): the thread's limits are its budget.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.#budget.memoryMb },
    });
    let started!: () => void;
    let failed!: (error: Error) => void;
    const thread: Thread = { worker, ready: new Promise((resolve, reject) => ((started = resolve), (failed = reject))), settle: null, receive: null };
    // Handled here, so a failing idle thread is never an unhandled error.
    thread.ready.catch(() => {});
    worker.on('message', (message: WorkerReply) => {
      if (message === 'ready') started();
      else if ('candidates' in message) thread.receive?.(message);
      else thread.settle?.({ error: new ImportBudgetError(message.overBudget) });
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const outcome = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new ImportBudgetError('memory') : error;
      failed(outcome);
      thread.settle?.({ error: outcome });
    });
    worker.on('exit', (code) => {
      this.#threads.delete(thread);
      const index = this.#idle.indexOf(thread);
      if (index !== -1) this.#idle.splice(index, 1);
      const error = new Error(`the import worker stopped (exit code ${code})`);
      failed(error);
      thread.settle?.({ error });
    });
    this.#threads.add(thread);
    return thread;
  }
}
