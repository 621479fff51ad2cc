/**
 * Server text (replies, EHLO keywords, certificate fields, error messages quoting
 * them) made safe to colour and print: C0 controls other than tab and line feed, DEL
 * and C1 (U+009B is an 8-bit CSI) are shown as \xNN. Renderers call this before they
 * colour server text, because the output's last line of defence (terminalSafe in
 * src/cli/output.ts) keeps colour sequences while colours are on and cannot tell a
 * server's ESC [ 31 m from chalk's. Escaping twice changes nothing.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
