import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { XclientAttribute } from '../core/xclient.js';
import { parseXclientAttributes, xclientAttributeProblem } from '../core/xclient.js';

/** --xclient and its named shortcuts, swaks's spellings (docs/send.md#xclient). */
export interface XclientFlags {
  xclient?: string;
  xclientAddr?: string;
  xclientName?: string;
  xclientReverseName?: string;
  xclientPort?: string;
  xclientProto?: string;
  xclientHelo?: string;
  xclientLogin?: string;
  xclientDestaddr?: string;
  xclientDestport?: string;
}

const SHORTCUTS: readonly [keyof XclientFlags, string, string][] = [
  ['xclientAddr', 'ADDR', 'addr'],
  ['xclientName', 'NAME', 'name'],
  ['xclientReverseName', 'REVERSE_NAME', 'reverse-name'],
  ['xclientPort', 'PORT', 'port'],
  ['xclientProto', 'PROTO', 'proto'],
  ['xclientHelo', 'HELO', 'helo'],
  ['xclientLogin', 'LOGIN', 'login'],
  ['xclientDestaddr', 'DESTADDR', 'destaddr'],
  ['xclientDestport', 'DESTPORT', 'destport'],
];

export function addXclientOptions(command: Command): Command {
  command.option('--xclient <attributes>', 'send XCLIENT after EHLO, e.g. "ADDR=192.0.2.7 NAME=mail.example.net" (Postfix), then EHLO again');
  for (const [, attribute, flag] of SHORTCUTS) command.option(`--xclient-${flag} <value>`, `XCLIENT ${attribute}=`);
  return command;
}

/** The attributes to send, checked before connecting; undefined without any --xclient flag. */
export function xclientFrom(flags: XclientFlags): XclientAttribute[] | undefined {
  const attributes: XclientAttribute[] = [];
  if (flags.xclient !== undefined) {
    const parsed = parseXclientAttributes(flags.xclient);
    if ('problem' in parsed) throw new UsageError(`--xclient: ${parsed.problem}`, 'write --xclient "ADDR=192.0.2.7 NAME=mail.example.net": NAME=VALUE pairs separated by spaces');
    attributes.push(...parsed.attributes);
  }
  for (const [key, name, flag] of SHORTCUTS) {
    const value = flags[key];
    if (value === undefined) continue;
    const problem = xclientAttributeProblem(name, value);
    if (problem) throw new UsageError(`--xclient-${flag}: ${problem}`, 'XCLIENT values have no spaces; [UNAVAILABLE] stands for "unknown"');
    if (attributes.some((attribute) => attribute.name === name)) throw new UsageError(`XCLIENT ${name} is given twice (--xclient and --xclient-${flag})`, 'give each attribute once');
    attributes.push({ name, value });
  }
  return attributes.length > 0 ? attributes : undefined;
}
