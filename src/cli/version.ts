import { readFileSync } from 'node:fs';

/** This smtpcheck's version, from package.json (reports and baselines record it). */
export const SMTPCHECK_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
