import { readFileSync, writeFileSync } from 'node:fs';
import type { Baseline } from '../checks/baseline.js';
import { BaselineFormatError, parseBaseline } from '../checks/baseline.js';
import { UsageError } from '../core/errors.js';

/** Read --baseline FILE before anything is sent: a missing, corrupt or foreign file is a usage error (exit 1). */
export function readBaseline(path: string): Baseline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --baseline ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'write one first with --save-baseline FILE');
  }
  try {
    return parseBaseline(text);
  } catch (error) {
    if (!(error instanceof BaselineFormatError)) throw error;
    throw new UsageError(`--baseline ${path} ${error.message}`, 'give a file written by smtpcheck check --save-baseline');
  }
}

export function writeBaseline(path: string, baseline: Baseline): void {
  try {
    writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
  } catch (error) {
    throw new UsageError(`cannot write --save-baseline ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unwritable'}`, 'check the path and its permissions');
  }
}
