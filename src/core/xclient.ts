import { encodeXtext } from './dsn.js';

/**
 * XCLIENT (Postfix's XCLIENT_README): a trusted client, such as a proxy or a test
 * tool inside mynetworks, tells the server whom to treat the session as coming from.
 * The server answers 220 and the client starts over with EHLO. Pure: parsing,
 * checking against the EHLO list, and the command line.
 */

export interface XclientAttribute {
  /** Upper case, one of XCLIENT_ATTRIBUTES. */
  name: string;
  /** As the user gave it; xtext-encoded on the wire. */
  value: string;
}

/** The attributes XCLIENT_README defines ("XCLIENT Command syntax"). */
export const XCLIENT_ATTRIBUTES: readonly string[] = ['NAME', 'REVERSE_NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'LOGIN', 'DESTADDR', 'DESTPORT'];

/** "ADDR=192.0.2.7 NAME=mail.example.net" into attributes, or why it cannot be. */
export function parseXclientAttributes(text: string): { attributes: XclientAttribute[] } | { problem: string } {
  const attributes: XclientAttribute[] = [];
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const match = /^([A-Za-z_]+)=(.*)$/.exec(word);
    if (!match) return { problem: `${JSON.stringify(word)} is not NAME=VALUE` };
    const problem = xclientAttributeProblem(match[1]!, match[2]!);
    if (problem) return { problem };
    attributes.push({ name: match[1]!.toUpperCase(), value: match[2]! });
  }
  if (attributes.length === 0) return { problem: 'no attribute given' };
  const names = attributes.map((attribute) => attribute.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  return repeated ? { problem: `${repeated} is given twice` } : { attributes };
}

/** Why one attribute cannot be sent, or null. */
export function xclientAttributeProblem(name: string, value: string): string | null {
  if (!XCLIENT_ATTRIBUTES.includes(name.toUpperCase())) return `${name} is not an XCLIENT attribute (${XCLIENT_ATTRIBUTES.join(', ')})`;
  if (value === '') return `${name.toUpperCase()} has no value (use [UNAVAILABLE] for "unknown")`;
  if (!/^[\x21-\x7e]*$/.test(value)) return `${name.toUpperCase()}=${JSON.stringify(value)} holds a space or a control character`;
  return null;
}

/** The attributes the server's EHLO "XCLIENT" line does not list. */
export function unlistedXclientAttributes(listed: readonly string[], attributes: readonly XclientAttribute[]): string[] {
  const offered = new Set(listed.map((name) => name.toUpperCase()));
  return attributes.map((attribute) => attribute.name).filter((name) => !offered.has(name));
}

/** The command line; values are xtext (XCLIENT_README: "xtext encoded as per RFC 1891"). */
export function xclientCommand(attributes: readonly XclientAttribute[]): string {
  return ['XCLIENT', ...attributes.map((attribute) => `${attribute.name}=${encodeXtext(attribute.value)}`)].join(' ');
}
