/** The DSN parameters of a message (RFC 3461), checked and in wire form. */
export interface DsnRequest {
  /** RCPT NOTIFY= value, e.g. "SUCCESS,FAILURE". */
  notify: string | null;
  /** MAIL RET= value: FULL or HDRS. */
  ret: string | null;
  /** MAIL ENVID= value, xtext-encoded. */
  envid: string | null;
}

/** RFC 3461 §4: "!" to "~" stand for themselves, except "+" and "="; every other octet is "+" and two upper-case hex digits. */
export function encodeXtext(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    encoded += byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d ? String.fromCharCode(byte) : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
