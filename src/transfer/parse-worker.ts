/**
 * The import's worker thread (see import-reader.ts): reads one uploaded file at a time,
 * off the app's event loop, and posts back its import candidates.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readImportFile } from './import-file.js';
import { TooManyEntriesError } from './netscape.js';

export type WorkerReply = 'ready' | { candidates: ReturnType<typeof readImportFile> } | { tooManyEntries: true };

const port = parentPort!;
const { maxEntries } = workerData as { maxEntries: number };
const reply = (message: WorkerReply): void => port.postMessage(message);

port.on('message', (bytes: Uint8Array) => {
  try {
    reply({ candidates: readImportFile(bytes, maxEntries) });
  } catch (error) {
    if (!(error instanceof TooManyEntriesError)) throw error;
    reply({ tooManyEntries: true });
  }
});
// Loaded and listening: from here on the time budget measures the file alone.
reply('ready');
