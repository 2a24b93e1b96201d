/**
 * The import's worker thread (see import-reader.ts): reads one uploaded file at a time,
 * off the app's event loop, and posts back its import candidates a message at a time, each
 * when the app asks for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportCandidate } from '../bookmarks/commands.js';
import { CANDIDATES_PER_MESSAGE, readImportFile, TooMuchTextError } from './import-file.js';
import { TooManyEntriesError } from './netscape.js';

/** A candidate as a message carries it: its tags the number of a list (CandidatesMessage.newTagLists). */
export type CandidateInMessage = Omit<ImportCandidate, 'tags'> & { tags: number };
/**
 * Candidates share their lists of tags (toImportCandidates), and a message keeps a list shared only
 * within itself: each list goes once, in the first message with a candidate it tags, numbered from 0
 * in the order they go, and later messages name it by its number.
 */
export interface CandidatesMessage {
  candidates: CandidateInMessage[];
  /** The lists first used in this message, numbered on from the last message's. */
  newTagLists: string[][];
  more: boolean;
}

/** The app sends a file's bytes, then 'more' for each next message of its candidates. */
export type WorkerRequest = Uint8Array | 'more';
export type WorkerReply = 'ready' | CandidatesMessage | { overBudget: 'entries' | 'characters' };

const port = parentPort!;
const { maxEntries, maxCharacters } = workerData as { maxEntries: number; maxCharacters: number };
const reply = (message: WorkerReply): void => port.postMessage(message);

/** The file's candidates, those not yet sent, and the lists sent, by number. */
let unsent: ImportCandidate[] = [];
let sent = 0;
let listNumbers = new Map<string[], number>();

function sendNext(): void {
  const newTagLists: string[][] = [];
  const candidates = unsent.slice(sent, sent + CANDIDATES_PER_MESSAGE).map(({ tags, ...candidate }) => {
    let number = listNumbers.get(tags);
    if (number === undefined) {
      listNumbers.set(tags, (number = listNumbers.size));
      newTagLists.push(tags);
    }
    return { ...candidate, tags: number };
  });
  sent += candidates.length;
  const more = sent < unsent.length;
  if (!more) {
    unsent = [];
    listNumbers = new Map();
  }
  reply({ candidates, newTagLists, more });
}

port.on('message', (request: WorkerRequest) => {
  if (request === 'more') return sendNext();
  try {
    unsent = readImportFile(request, maxEntries, maxCharacters);
    sent = 0;
    listNumbers = new Map();
    sendNext();
  } catch (error) {
    if (error instanceof TooManyEntriesError) reply({ overBudget: 'entries' });
    else if (error instanceof TooMuchTextError) reply({ overBudget: 'characters' });
    else throw error;
  }
});
// Loaded and listening: from here on the time budget measures the file alone.
reply('ready');
