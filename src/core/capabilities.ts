import type { Reply } from './reply.js';

/**
 * The server's EHLO answer as a typed model (RFC 5321 §4.1.1.1: first line is the
 * server's domain, each further line one keyword with optional parameters). Keywords
 * we do not model are kept verbatim in `extensions`.
 */
export interface Capabilities {
  /** Domain the server named on the first EHLO line. */
  domain: string;
  /** Greeting text after the domain, e.g. "Hello client". */
  greetingText: string;
  /** True when the session fell back to HELO, which advertises nothing. */
  helo: boolean;
  /** Every keyword, upper case, with its parameters as sent. */
  extensions: Map<string, string[]>;
  /** SIZE limit in octets; 0 means "no fixed limit" (RFC 1870 §4); null when SIZE is absent. */
  size: number | null;
  pipelining: boolean;
  startTls: boolean;
  /** SASL mechanisms, upper case; the union of "AUTH x y" and legacy "AUTH=x y". */
  authMechanisms: string[];
  /** True when mechanisms came only from the pre-RFC 4954 "AUTH=" form. */
  authLegacyOnly: boolean;
  eightBitMime: boolean;
  binaryMime: boolean;
  smtpUtf8: boolean;
  dsn: boolean;
  chunking: boolean;
  enhancedStatusCodes: boolean;
  vrfy: boolean;
  etrn: boolean;
  requireTls: boolean;
  prdr: boolean;
  /** DELIVERBY minimum, in seconds, when advertised (RFC 2852). */
  deliverBy: number | null;
  xclient: string[] | null;
  xforward: string[] | null;
}

export function parseEhloReply(reply: Reply): Capabilities {
  const [first = '', ...rest] = reply.lines;
  const [domain = '', ...greeting] = first.trim().split(/\s+/);
  const extensions = new Map<string, string[]>();
  const authModern = new Set<string>();
  const authLegacy = new Set<string>();
  for (const line of rest) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const legacyAuth = /^AUTH=(.*)$/i.exec(trimmed);
    if (legacyAuth) {
      for (const mech of splitWords(legacyAuth[1] ?? '')) authLegacy.add(mech.toUpperCase());
      extensions.set('AUTH=', splitWords(legacyAuth[1] ?? ''));
      continue;
    }
    const [keyword = '', ...params] = splitWords(trimmed);
    const name = keyword.toUpperCase();
    extensions.set(name, params);
    if (name === 'AUTH') for (const mech of params) authModern.add(mech.toUpperCase());
  }
  const has = (name: string) => extensions.has(name);
  const sizeParam = extensions.get('SIZE')?.[0];
  const deliverByParam = extensions.get('DELIVERBY')?.[0];
  return {
    domain,
    greetingText: greeting.join(' '),
    helo: false,
    extensions,
    size: has('SIZE') ? parseNonNegative(sizeParam) ?? 0 : null,
    pipelining: has('PIPELINING'),
    startTls: has('STARTTLS'),
    authMechanisms: [...new Set([...authModern, ...authLegacy])],
    authLegacyOnly: authModern.size === 0 && authLegacy.size > 0,
    eightBitMime: has('8BITMIME'),
    binaryMime: has('BINARYMIME'),
    smtpUtf8: has('SMTPUTF8'),
    dsn: has('DSN'),
    chunking: has('CHUNKING'),
    enhancedStatusCodes: has('ENHANCEDSTATUSCODES'),
    vrfy: has('VRFY'),
    etrn: has('ETRN'),
    requireTls: has('REQUIRETLS'),
    prdr: has('PRDR'),
    deliverBy: has('DELIVERBY') ? parseNonNegative(deliverByParam) ?? 0 : null,
    xclient: extensions.get('XCLIENT') ?? null,
    xforward: extensions.get('XFORWARD') ?? null,
  };
}

/** What a HELO session knows: the server's name and nothing else (RFC 5321 §3.2). */
export function heloCapabilities(reply: Reply): Capabilities {
  const caps = parseEhloReply({ ...reply, lines: reply.lines.slice(0, 1) });
  return { ...caps, helo: true };
}

function splitWords(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

function parseNonNegative(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const value = Number(text);
  // A 400-digit SIZE would become Infinity; no honest limit is that large.
  return Number.isSafeInteger(value) ? value : null;
}

export interface CapabilityDifference {
  added: string[];
  removed: string[];
  changed: { keyword: string; before: string[]; after: string[] }[];
}

/** What changed between the pre-TLS and post-TLS EHLO (RFC 3207 §4.2 requires the client to forget the first). */
export function diffCapabilities(before: Capabilities, after: Capabilities): CapabilityDifference {
  const added = [...after.extensions.keys()].filter((key) => !before.extensions.has(key));
  const removed = [...before.extensions.keys()].filter((key) => !after.extensions.has(key));
  const changed = [...after.extensions.entries()]
    .filter(([key, params]) => before.extensions.has(key) && before.extensions.get(key)!.join(' ') !== params.join(' '))
    .map(([keyword, afterParams]) => ({ keyword, before: before.extensions.get(keyword)!, after: afterParams }));
  return { added, removed, changed };
}
