/**
 * MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file and the `mx`
 * patterns, as pure functions; the fetch is in mta-sts-fetch.ts.
 */

/** What the `_mta-sts` TXT records of a domain come to (RFC 8461 §3.1). */
export type StsRecordResult =
  | { kind: 'absent' }
  | { kind: 'several'; records: string[] }
  | { kind: 'malformed'; record: string; problem: string }
  | { kind: 'valid'; record: string; id: string };

const STS_RECORD_PREFIX = 'v=STSv1;';
// RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT).
const STS_ID = /^[A-Za-z0-9]{1,32}$/;

/**
 * RFC 8461 §3.1: records that do not begin with "v=STSv1;" are discarded; more than
 * one left, or one that does not parse, means no usable policy.
 */
export function parseStsRecords(texts: readonly string[]): StsRecordResult {
  const records = texts.filter((text) => text.startsWith(STS_RECORD_PREFIX));
  if (records.length === 0) return { kind: 'absent' };
  if (records.length > 1) return { kind: 'several', records };
  const record = records[0]!;
  const fields = parseTagList(record);
  if (!fields) return { kind: 'malformed', record, problem: 'fields are not key=value pairs separated by ";"' };
  const id = fields.get('id');
  if (id === undefined) return { kind: 'malformed', record, problem: 'no id field' };
  if (!STS_ID.test(id)) return { kind: 'malformed', record, problem: `id ${JSON.stringify(id)} is not 1 to 32 letters and digits` };
  return { kind: 'valid', record, id };
}

/** `key=value` fields separated by ";" with optional white space (RFC 8461 §3.1, RFC 8460 §3); null if one is not. */
export function parseTagList(record: string): Map<string, string> | null {
  const fields = new Map<string, string>();
  for (const part of record.split(';')) {
    const field = part.trim();
    if (field === '') continue;
    const equals = field.indexOf('=');
    if (equals <= 0) return null;
    const key = field.slice(0, equals).trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(key) || fields.has(key)) return null;
    fields.set(key, field.slice(equals + 1).trim());
  }
  return fields;
}

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  mode: StsMode;
  mx: string[];
  maxAge: number;
}

// RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year).
export const MAX_STS_MAX_AGE = 31_557_600;

/** The policy file (RFC 8461 §3.2), or the first problem that makes it unusable. */
export function parseStsPolicy(text: string): { policy: StsPolicy } | { problem: string } {
  const fields = new Map<string, string[]>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { problem: `line ${JSON.stringify(line.slice(0, 80))} is not "key: value"` };
    const key = line.slice(0, colon).trim();
    fields.set(key, [...(fields.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  const one = (key: string): string | undefined => fields.get(key)?.[0];
  if (one('version') !== 'STSv1') return { problem: `version is ${JSON.stringify(one('version') ?? null)}, not STSv1` };
  const mode = one('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return { problem: `mode is ${JSON.stringify(mode ?? null)}, not enforce, testing or none` };
  const maxAgeText = one('max_age');
  const maxAge = Number(maxAgeText);
  if (maxAgeText === undefined || !/^\d{1,10}$/.test(maxAgeText) || maxAge > MAX_STS_MAX_AGE) return { problem: `max_age is ${JSON.stringify(maxAgeText ?? null)}, not a number of seconds from 0 to ${MAX_STS_MAX_AGE}` };
  const mx = fields.get('mx') ?? [];
  if (mode !== 'none' && mx.length === 0) return { problem: 'no mx field: the policy names no mail server' };
  return { policy: { mode, mx: mx.map((pattern) => pattern.toLowerCase()), maxAge } };
}

/**
 * Whether an MX host matches a policy `mx` pattern (RFC 8461 §4.1): exactly, or a
 * wildcard "*.example.com" standing for exactly one left-most label.
 */
export function mxMatchesPattern(host: string, pattern: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const wanted = pattern.toLowerCase().replace(/\.$/, '');
  if (!wanted.startsWith('*.')) return name === wanted;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === wanted.slice(2);
}
