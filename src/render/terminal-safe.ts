import { escapeFormatControls } from './printable.js';

// Our own colours (chalk's SGR sequences), else any C0 or C1 control character (U+009B is CSI).
const CONTROL_OR_COLOUR = /\x1b\[[0-9;]*m|[\x00-\x1f\x7f-\x9f]/g;

/**
 * Everything printed quotes server text somewhere: replies in the transcript, EHLO
 * keywords in the capability table, reply texts in check summaries and error
 * messages. A hostile server must not reach the terminal with escape sequences (set
 * the title, clear the screen, move the cursor) nor split the one-line error, so
 * control characters are shown as \xNN. Text we format ourselves (`coloured`) keeps
 * its line feeds and tabs, and its colour sequences while `keepColours`: this
 * function cannot tell a server's colour sequence from chalk's, so renderers escape
 * server text before colouring it (printable), and with colours off no sequence can
 * be ours and none is kept.
 */
export function terminalSafe(text: string, coloured: boolean, keepColours = coloured): string {
  return escapeFormatControls(
    text.replace(CONTROL_OR_COLOUR, (match) => {
      if (match.length > 1) return keepColours ? match : `\\x1b${match.slice(1)}`;
      if (coloured && (match === '\n' || match === '\t')) return match;
      return `\\x${match.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }),
  );
}
