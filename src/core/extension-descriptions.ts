/**
 * What each EHLO keyword means, in the words a mail admin needs (the relaying guide
 * explains them the same way), with the RFC that defines it.
 */
export const EXTENSION_DESCRIPTIONS: Record<string, string> = {
  PIPELINING: 'client may send several commands without waiting for each reply (RFC 2920)',
  // Exim advertises it by default since 4.94 (pipelining_connect_advertise_hosts = *).
  PIPECONNECT: 'early pipelining: a client that has seen it may send EHLO and its first commands before the greeting next time (Exim; draft-harris-early-pipe)',
  SIZE: 'largest message the server accepts (RFC 1870)',
  STARTTLS: 'client may switch this connection to TLS (RFC 3207)',
  AUTH: 'SMTP authentication with these SASL mechanisms (RFC 4954)',
  'AUTH=': 'legacy AUTH announcement for old Outlook clients',
  '8BITMIME': 'message bodies may contain 8-bit characters (RFC 6152)',
  BINARYMIME: 'binary message bodies, with BDAT (RFC 3030)',
  SMTPUTF8: 'UTF-8 in addresses and headers (RFC 6531)',
  DSN: 'delivery status notifications under the sender\'s control (RFC 3461)',
  CHUNKING: 'BDAT: messages sent in length-counted chunks (RFC 3030)',
  ENHANCEDSTATUSCODES: 'replies carry x.y.z status codes (RFC 2034, RFC 3463)',
  VRFY: 'VRFY asks whether an address exists',
  ETRN: 'remote queue flush for a domain (RFC 1985)',
  EXPN: 'EXPN expands mailing lists and aliases',
  REQUIRETLS: 'sender can demand TLS on every hop (RFC 8689)',
  PRDR: 'per-recipient data responses',
  DELIVERBY: 'sender can set a delivery deadline (RFC 2852)',
  XCLIENT: 'trusted proxies may override client attributes (Postfix)',
  XFORWARD: 'trusted proxies may forward client attributes (Postfix)',
  'MT-PRIORITY': 'message priorities (RFC 6710)',
  'FUTURERELEASE': 'hold a message for later release (RFC 4865)',
  HELP: 'HELP lists commands',
  'X-EXPS': 'legacy Microsoft authentication announcement',
};

/** "10240000" → "10.2 MB (10240000 bytes)", "0" → "no fixed limit". */
export function describeSize(limit: number | null): string {
  if (limit === null) return '';
  if (limit === 0) return 'no fixed limit';
  return `${(limit / 1_000_000).toFixed(1)} MB (${limit} bytes)`;
}
