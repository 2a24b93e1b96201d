/**
 * The import's worker thread (see import-reader.ts): reads one uploaded file at a time,
 * off the app's event loop, and posts back its import candidates.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readImportFile, TooMuchTextError } from './import-file.js';
import { TooManyEntriesError } from './netscape.js';

export type WorkerReply = 'ready' | { candidates: ReturnType<typeof readImportFile> } | { overBudget: 'entries' | 'characters' };

const port = parentPort!;
const { maxEntries, maxCharacters } = workerData as { maxEntries: number; maxCharacters: number };
const reply = (message: WorkerReply): void => port.postMessage(message);

port.on('message', (bytes: Uint8Array) => {
  try {
    reply({ candidates: readImportFile(bytes, maxEntries, maxCharacters) });
  } catch (error) {
    if (error instanceof TooManyEntriesError) reply({ overBudget: 'entries' });
    else if (error instanceof TooMuchTextError) reply({ overBudget: 'characters' });
    else throw error;
  }
});
// Loaded and listening: from here on the time budget measures the file alone.
reply('ready');
