import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import type { ReportedSuite } from '../render/report-formats.js';
import { REPORT_FORMATS } from '../render/report-formats.js';

/** The options of the file formats (`--junit FILE`). */
export interface ReportFormatFlags {
  junit?: string;
}

/** Add the option of every file format of REPORT_FORMATS to a command. */
export function addReportFormatOptions(command: Command): Command {
  for (const format of REPORT_FORMATS) if (format.destination.kind === 'file') command.option(format.destination.flag, format.destination.description);
  return command;
}

/**
 * Write a run in every machine format that was asked for: each file format whose
 * option is set, and GitHub annotations on standard output inside GitHub Actions
 * (docs/ci.md). The one place every command chooses its formats.
 */
export async function writeReportFormats(
  flags: ReportFormatFlags,
  suites: readonly ReportedSuite[],
  { env = process.env, write = (text: string) => void process.stdout.write(text) }: { env?: NodeJS.ProcessEnv; write?: (text: string) => void } = {},
): Promise<void> {
  for (const format of REPORT_FORMATS) {
    const destination = format.destination;
    if (destination.kind === 'file') {
      const file = flags[destination.option];
      if (file) writeFileSync(file, await format.render(suites));
    } else if (destination.when === 'github-actions' && env.GITHUB_ACTIONS === 'true') {
      write(await format.render(suites));
    }
  }
}
