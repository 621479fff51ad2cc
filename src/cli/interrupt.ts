import { ExitCode } from '../outcome/exit-codes.js';

export interface InterruptibleOutcome<T> {
  value: T;
  /** Ctrl-C came while `work` ran: its value is a partial result, and the exit code is 130. */
  interrupted: boolean;
}

/**
 * Ctrl-C for a command that can report what it did so far: the first SIGINT aborts
 * the signal given to `work`, which ends its sessions and returns early; a second
 * exits at once with 130 (docs/exit-codes.md), not waiting for the report. Only
 * while `work` runs: before it there is nothing to report, and after it the report
 * is being written, so Node's own SIGINT (the process ends) is the right answer.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<InterruptibleOutcome<T>> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const value = await work(controller.signal);
    return { value, interrupted: controller.signal.aborted };
  } finally {
    process.off('SIGINT', onSigint);
  }
}
