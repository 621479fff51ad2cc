import { parentPort, workerData } from 'node:worker_threads';
import { runBench } from './bench-runner.js';
import { BenchStats } from './bench-stats.js';
import type { FromWorker, ToWorker, WorkerSetup } from './bench-workers.js';
import { workerError } from './bench-workers.js';

/**
 * One worker thread of `bench --workers N` (src/bench/bench-workers.ts): runs its
 * share of the load and sends back its tally as data. Its messages are told apart
 * from the other workers' by their Message-ID, which carries a random id per run.
 */
const port = parentPort!;
const setup = workerData as WorkerSetup;
const controller = new AbortController();
const post = (message: FromWorker) => port.postMessage(message);
port.on('message', (message: ToWorker) => {
  if (message.type === 'abort') controller.abort();
});

const stats = new BenchStats();
const progress =
  setup.progressMs === null
    ? null
    : setInterval(() => post({ type: 'progress', counts: { attempted: stats.attempted, accepted: stats.accepted, refused: stats.refused, failed: stats.failed } }), setup.progressMs);
try {
  // A clock the main thread can compare with the other workers': the run lasts from the first start to the last end.
  const startedAt = performance.timeOrigin + performance.now();
  const run = await runBench(
    {
      ...setup.options,
      signal: controller.signal,
      onWarning: (message) => post({ type: 'warning', message }),
      ...(setup.reportsFirstTls ? { onFirstTls: (tls) => post({ type: 'first-tls', tls }) } : {}),
    },
    stats,
  );
  post({ type: 'done', stats: stats.snapshot(), startedAt, endedAt: startedAt + run.durationMs, interrupted: run.interrupted });
} catch (error) {
  post({ type: 'fatal', error: workerError(error) });
} finally {
  if (progress) clearInterval(progress);
  // Nothing more to hear from the main thread: let the thread end once its sockets have closed.
  port.unref();
}
