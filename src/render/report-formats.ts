import type { CheckResult } from '../checks/check.js';

/** A named set of results, as every machine format reads them: a target, an MX address, or the baseline comparison. */
export interface ReportedSuite {
  name: string;
  results: readonly CheckResult[];
  durationMs: number;
}

/** Where a format goes: a file named by a command-line option, or standard output when a CI system reads it there. */
export type FormatDestination = { kind: 'file'; option: 'junit'; flag: string; description: string } | { kind: 'stdout'; when: 'github-actions' };

/**
 * The machine formats besides the text report and --json, for every command that
 * gives verdicts (check, check --config, domain, relay-test, report merge): one entry
 * here and one renderer file in src/render/ make a new one (docs/architecture.md#where-things-go).
 */
export interface ReportFormat {
  name: string;
  destination: FormatDestination;
  /** Loaded when a run asks for the format: the CLI's start-up reads this list for its options. */
  render(suites: readonly ReportedSuite[]): Promise<string>;
}

export const REPORT_FORMATS: readonly ReportFormat[] = [
  {
    name: 'JUnit XML',
    destination: { kind: 'file', option: 'junit', flag: '--junit <file>', description: 'write a JUnit XML report' },
    render: async (suites) => (await import('./junit.js')).renderJunit(suites),
  },
  {
    name: 'GitHub Actions annotations',
    destination: { kind: 'stdout', when: 'github-actions' },
    render: async (suites) => {
      const { renderGithubAnnotations } = await import('./github-annotations.js');
      return suites.flatMap((suite) => renderGithubAnnotations(suite.name, suite.results)).map((line) => `${line}\n`).join('');
    },
  },
];
