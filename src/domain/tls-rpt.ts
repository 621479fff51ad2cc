import { parseTagList } from './mta-sts.js';

/** What the `_smtp._tls` TXT records of a domain come to (RFC 8460 §3). */
export type TlsRptResult =
  | { kind: 'absent' }
  | { kind: 'malformed'; record: string; problem: string }
  | { kind: 'valid'; record: string; rua: string[] };

const TLSRPT_PREFIX = /^v=TLSRPTv1\s*;/;

/**
 * RFC 8460 §3: records that do not start with "v=TLSRPTv1" are not TLS-RPT; of the
 * rest there must be one, with an `rua` of mailto: or https: URIs, comma-separated.
 */
export function parseTlsRptRecords(texts: readonly string[]): TlsRptResult {
  const records = texts.filter((text) => TLSRPT_PREFIX.test(text));
  if (records.length === 0) return { kind: 'absent' };
  const record = records[0]!;
  if (records.length > 1) return { kind: 'malformed', record, problem: `${records.length} records: senders use none of them` };
  const rua = parseTagList(record)?.get('rua');
  if (rua === undefined || rua === '') return { kind: 'malformed', record, problem: 'no rua field' };
  const uris = rua.split(',').map((uri) => uri.trim());
  const bad = uris.find((uri) => !/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/i.test(uri));
  if (bad !== undefined) return { kind: 'malformed', record, problem: `rua ${JSON.stringify(bad)} is neither a mailto: nor an https: URI` };
  return { kind: 'valid', record, rua: uris };
}
