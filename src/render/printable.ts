/**
 * Server text (replies, EHLO keywords, certificate fields, error messages quoting
 * them) made safe to colour and print: C0 controls other than tab and line feed, DEL
 * and C1 (U+009B is an 8-bit CSI) are shown as \xNN. Renderers call this before they
 * colour server text, because the output's last line of defence (terminalSafe in
 * src/cli/output.ts) keeps colour sequences while colours are on and cannot tell a
 * server's ESC [ 31 m from chalk's. Escaping twice changes nothing.
 */
export function printable(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(FORMAT_CONTROLS, formatControlEscape);
}

/** Server text with its Unicode format controls shown as \uNNNN: for printable and the output's last line of defence. */
export function escapeFormatControls(text: string): string {
  return text.replace(FORMAT_CONTROLS, formatControlEscape);
}

const formatControlEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Unicode format controls that reorder or hide what the user reads (the "Trojan
 * Source" class, CVE-2021-42574): bidirectional embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069), the marks U+200E, U+200F and U+061C, zero-width
 * characters (U+200B-U+200D, U+2060, U+FEFF) and the line and paragraph separators
 * U+2028/U+2029. Shown as \uNNNN, like the C0 controls above.
 */
const FORMAT_CONTROLS = /[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
