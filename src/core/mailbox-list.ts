/**
 * Address lists as users write them in From:, To: and Cc: (RFC 5322 §3.4): mailboxes
 * with display names, quoted-strings and domain literals, without groups or comments.
 */

// RFC 5322 §3.2.3 specials that end a word of a phrase; "." is left in (obs-phrase, "John Q. Public").
const PHRASE_SPECIAL = /[()<>[\]:;@\\,]/;
// RFC 5322 §3.2.2 folding whitespace; other Unicode spaces are text, as in any word.
const WHITESPACE = /[ \t\r\n]/;

/** A mailbox as written in an address header (RFC 5322 §3.4): the address, and the display name if any. */
export interface Mailbox {
  name: string | null;
  address: string;
}

type AddressToken = { kind: 'space' | 'comma' | 'word' | 'quoted' | 'angle' | 'literal' | 'special'; raw: string; text: string };

/** Index of the " that closes the quoted-string opening at `start`, skipping \-escaped characters; -1 if none. */
function closingQuote(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index += 1) {
    if (text[index] === '\\') index += 1;
    else if (text[index] === '"') return index;
  }
  return -1;
}

/** Index of `close` after `start`, outside quoted-strings; -1 if none, or if `open` comes first (nothing nests here). */
function closing(text: string, start: number, open: string, close: string): number {
  for (let index = start + 1; index < text.length; index += 1) {
    if (text[index] === close) return index;
    if (text[index] === open) return -1;
    if (text[index] === '"') {
      index = closingQuote(text, index);
      if (index < 0) return -1;
    }
  }
  return -1;
}

/** The lexical pieces of an address list (RFC 5322 §3.2); null when a quote, "<" or "[" is never closed. */
function addressTokens(text: string): AddressToken[] | null {
  const tokens: AddressToken[] = [];
  let index = 0;
  const take = (kind: AddressToken['kind'], end: number, tokenText?: string) => {
    const raw = text.slice(index, end);
    tokens.push({ kind, raw, text: tokenText ?? raw });
    index = end;
  };
  const runEnd = (inRun: (char: string) => boolean): number => {
    let end = index + 1;
    while (end < text.length && inRun(text[end]!)) end += 1;
    return end;
  };
  while (index < text.length) {
    const char = text[index]!;
    if (WHITESPACE.test(char)) take('space', runEnd((next) => WHITESPACE.test(next)), ' ');
    else if (char === '"') {
      const end = closingQuote(text, index);
      if (end < 0) return null;
      take('quoted', end + 1, text.slice(index + 1, end).replace(/\\([^])/g, '$1'));
    } else if (char === '<' || char === '[') {
      const end = closing(text, index, char, char === '<' ? '>' : ']');
      if (end < 0) return null;
      take(char === '<' ? 'angle' : 'literal', end + 1, text.slice(index + 1, end).trim());
    } else if (char === ',') take('comma', index + 1);
    else if (PHRASE_SPECIAL.test(char)) take('special', index + 1);
    else take('word', runEnd((next) => !WHITESPACE.test(next) && next !== '"' && !PHRASE_SPECIAL.test(next)));
  }
  return tokens;
}

/** One item of a mailbox list: `[display-name] <address>` or a bare address (RFC 5322 §3.4); null for anything else. */
function mailboxOf(tokens: AddressToken[]): Mailbox | null {
  const last = tokens[tokens.length - 1]!;
  if (last.kind === 'angle') {
    const phrase = tokens.slice(0, -1);
    if (last.text === '' || !phrase.every((token) => token.kind === 'word' || token.kind === 'quoted' || token.kind === 'space')) return null;
    if (phrase[phrase.length - 1]?.kind === 'space') phrase.pop();
    const name = phrase.map((token) => token.text).join('');
    return { name: name === '' ? null : name, address: last.text };
  }
  const addressSpec = tokens.every((token) => token.kind === 'word' || token.kind === 'quoted' || token.kind === 'literal' || (token.kind === 'special' && token.raw === '@'));
  return addressSpec ? { name: null, address: tokens.map((token) => token.raw).join('') } : null;
}

/**
 * The mailboxes of a mailbox-list (RFC 5322 §3.4), as given to --from/--to or in an
 * address header: split at the commas outside quoted-strings and angle brackets, so
 * `"Müller, Jörg" <j@example.org>` is one mailbox; empty items ("a@example.org,") are
 * skipped, as in every list flag. A display name is the phrase's text: quoted-strings
 * unquoted, whitespace between words one space. Null for what is not a plain mailbox
 * list (a group, a comment), which smtpcheck does not take apart.
 */
export function parseMailboxList(text: string): Mailbox[] | null {
  const tokens = addressTokens(text);
  if (tokens === null) return null;
  const mailboxes: Mailbox[] = [];
  let item: AddressToken[] = [];
  for (const token of [...tokens, { kind: 'comma', raw: ',', text: ',' } as const]) {
    if (token.kind !== 'comma') {
      if (item.length > 0 || token.kind !== 'space') item.push(token);
      continue;
    }
    if (item[item.length - 1]?.kind === 'space') item.pop();
    if (item.length > 0) {
      const mailbox = mailboxOf(item);
      if (mailbox === null) return null;
      mailboxes.push(mailbox);
    }
    item = [];
  }
  return mailboxes;
}
