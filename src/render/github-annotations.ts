import type { CheckResult } from '../checks/check.js';
import { alarmLevel, counts } from '../checks/verdict-policy.js';
import { printable } from './printable.js';

// GitHub Actions workflow commands: data must escape %, CR and LF; properties also ":" and ",".
const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * One ::error / ::warning line per finding, so failures show up on the workflow run.
 * The log renders colour codes, so the server's words in a summary are escaped too.
 */
export function renderGithubAnnotations(target: string, results: readonly CheckResult[]): string[] {
  return results.flatMap((result) => {
    if (!counts(result)) return [];
    const level = alarmLevel(result.verdict);
    if (!level) return [];
    const title = escapeProperty(`smtpcheck ${result.id} (${target})`);
    return [`::${level} title=${title}::${escapeData(`${result.verdict.toUpperCase()} [${result.severity}] ${printable(result.summary)}${result.fix ? `\nfix: ${printable(result.fix)}` : ''}`)}`];
  });
}
