import fc from 'fast-check';

/**
 * Shared by every fuzz file: a fixed run count per property, so the folder stays in
 * the low thousands of cases per CI run (raise it locally with SMTPCHECK_FUZZ_RUNS),
 * and failures that show the assertion that broke, next to the seed to replay.
 */
export const RUNS = Number(process.env.SMTPCHECK_FUZZ_RUNS ?? 300);

fc.configureGlobal({ includeErrorInReport: true });
