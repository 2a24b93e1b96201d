import { Worker } from 'node:worker_threads';

/**
 * A request stuck inside SQLite blocks the event loop, so no test timeout can fire and
 * the run would hang until CI gives up. A worker thread watches each request instead:
 * past the limit it prints the request and kills this process, which fails the run.
 */
export interface Watchdog {
  begin(description: string): void;
  end(): void;
  stop(): Promise<void>;
}

const LABEL_BYTES = 4096;

export function startWatchdog(limitMs = 30_000): Watchdog {
  const shared = new SharedArrayBuffer(8 + 4 + LABEL_BYTES);
  const startedAt = new Float64Array(shared, 0, 1);
  const labelLength = new Int32Array(shared, 8, 1);
  const label = new Uint8Array(shared, 12, LABEL_BYTES);
  const worker = new Worker(
    `
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const { shared, limitMs } = workerData;
    const startedAt = new Float64Array(shared, 0, 1);
    const labelLength = new Int32Array(shared, 8, 1);
    const label = new Uint8Array(shared, 12, ${LABEL_BYTES});
    setInterval(() => {
      const since = startedAt[0];
      if (since > 0 && Date.now() - since > limitMs) {
        const request = Buffer.from(label.slice(0, labelLength[0])).toString('utf8');
        writeSync(2, '\\nfuzz watchdog: a request has not finished after ' + limitMs / 1000 + ' s, so the event loop is stuck. Killing the test process.\\nrequest: ' + request + '\\n');
        process.kill(process.pid, 'SIGKILL');
      }
    }, 250);
    `,
    { eval: true, workerData: { shared, limitMs } },
  );
  worker.unref();
  return {
    begin(description) {
      const bytes = Buffer.from(description, 'utf8').subarray(0, LABEL_BYTES);
      label.set(bytes);
      labelLength[0] = bytes.length;
      startedAt[0] = Date.now();
    },
    end() {
      startedAt[0] = 0;
    },
    async stop() {
      await worker.terminate();
    },
  };
}
