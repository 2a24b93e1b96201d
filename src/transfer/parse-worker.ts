/**
 * The import's worker thread (see import-reader.ts): reads one uploaded file at a time,
 * off the app's event loop, and posts back its import candidates a message at a time, each
 * when the app asks for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportCandidate } from '../bookmarks/commands.js';
import { CANDIDATES_PER_MESSAGE, readImportFile, TooMuchTextError } from './import-file.js';
import { TooManyEntriesError } from './netscape.js';

/** The app sends a file's bytes, then 'more' for each next message of its candidates. */
export type WorkerRequest = Uint8Array | 'more';
export type WorkerReply = 'ready' | { candidates: ImportCandidate[]; more: boolean } | { overBudget: 'entries' | 'characters' };

const port = parentPort!;
const { maxEntries, maxCharacters } = workerData as { maxEntries: number; maxCharacters: number };
const reply = (message: WorkerReply): void => port.postMessage(message);

/** The file's candidates not yet sent. */
let unsent: ImportCandidate[] = [];
let sent = 0;

function sendNext(): void {
  const candidates = unsent.slice(sent, sent + CANDIDATES_PER_MESSAGE);
  sent += candidates.length;
  const more = sent < unsent.length;
  if (!more) unsent = [];
  reply({ candidates, more });
}

port.on('message', (request: WorkerRequest) => {
  if (request === 'more') return sendNext();
  try {
    unsent = readImportFile(request, maxEntries, maxCharacters);
    sent = 0;
    sendNext();
  } catch (error) {
    if (error instanceof TooManyEntriesError) reply({ overBudget: 'entries' });
    else if (error instanceof TooMuchTextError) reply({ overBudget: 'characters' });
    else throw error;
  }
});
// Loaded and listening: from here on the time budget measures the file alone.
reply('ready');
