import type { ChalkInstance } from 'chalk';
import type { Reply } from '../core/reply.js';
import type { TlsSessionInfo } from '../core/tls-session.js';
import type { TranscriptEvent } from '../core/transcript.js';
import { printable } from './printable.js';
import { warningText } from './warning-text.js';

/**
 * The colour transcript, in the tradition swaks users know: `->` sent and `<-`
 * received in plaintext, `~>` and `<~` inside TLS, a `*` after the arrow for
 * refusals, `===` for what smtpcheck itself says. Replies, notes and errors that
 * quote them, and certificate fields are the server's words: escaped before colouring.
 */
export interface TextTranscriptOptions {
  palette: ChalkInstance;
  showTime?: boolean;
  write: (line: string) => void;
}

export function textTranscriptRenderer(options: TextTranscriptOptions): (event: TranscriptEvent) => void {
  return (event) => {
    for (const line of renderEvent(event, options)) options.write(line);
  };
}

export function renderEvent(event: TranscriptEvent, options: Omit<TextTranscriptOptions, 'write'>): string[] {
  const c = options.palette;
  switch (event.type) {
    case 'connect':
      return [
        c.dim(`=== Connected to ${event.host}:${event.port} (${event.address})${event.localAddress ? ` from ${event.localAddress}` : ''}${event.implicitTls ? ', TLS on connect' : ''}`),
      ];
    case 'send': {
      const arrow = event.tls ? ' ~>' : ' ->';
      return [`${c.magentaBright.dim(arrow)} ${c.cyan(printable(event.text))}${event.redacted ? c.dim('  (redacted; --show-secrets reveals)') : ''}`];
    }
    case 'receive':
      return renderReply(event.reply, event.tls, options.showTime ? event.latencyMs : null, c);
    case 'data': {
      const arrow = event.tls ? ' ~>' : ' ->';
      const lines = event.preview.map((line) => `${c.dim(arrow)} ${c.cyan.dim(printable(line))}`);
      if (event.truncated) lines.push(c.dim(`${arrow} … (${event.bytes} bytes in total)`));
      else lines.push(c.dim(`=== message body: ${event.bytes} bytes sent`));
      return lines;
    }
    case 'tls':
      return renderTlsSession(event.session, c);
    case 'info':
      return [c.dim(`=== ${printable(event.message)}`)];
    case 'warn':
      return [c.yellow(`*** ${printable(warningText(event))}`)];
    case 'error':
      return [c.red(`*** ${printable(event.message)}`)];
    case 'close':
      return [c.dim(event.by === 'server' ? '=== Connection closed by server' : '=== Connection closed')];
  }
}

function renderReply(reply: Reply, tls: boolean, latencyMs: number | null, c: ChalkInstance): string[] {
  const refused = reply.code >= 400;
  const arrow = `${tls ? '<~' : '<-'}${refused ? '*' : ' '}`;
  const colour = reply.code >= 500 ? c.red : reply.code >= 400 ? c.yellow : c.green;
  return reply.raw.map((raw, index) => {
    const time = latencyMs !== null && index === reply.raw.length - 1 ? c.dim(`  (${latencyMs} ms)`) : '';
    return `${tls ? c.magenta(arrow) : c.dim(arrow)} ${colour(printable(raw))}${time}`;
  });
}

export function renderTlsSession(session: TlsSessionInfo, c: ChalkInstance): string[] {
  const lines = [
    c.magenta(`=== TLS started: ${session.protocol}, ${session.cipherStandardName || session.cipher}${session.keyExchange ? `, key exchange ${session.keyExchange}` : ''}${session.servername ? `, SNI ${session.servername}` : ''}`),
  ];
  session.chain.forEach((cert, index) => {
    const days = cert.daysLeft < 0 ? c.red(`expired ${-cert.daysLeft} days ago`) : cert.notYetValid ? c.red('not yet valid') : cert.daysLeft < 30 ? c.yellow(`${cert.daysLeft} days left`) : `${cert.daysLeft} days left`;
    lines.push(c.dim(`===   certificate ${index}: ${printable(cert.subject)}`));
    if (cert.subjectAltNames.length > 0) lines.push(c.dim(`===     names:  ${printable(cert.subjectAltNames.join(', '))}`));
    lines.push(c.dim(`===     issuer: ${printable(cert.issuer)}${cert.selfSigned ? ' (self-signed)' : ''}`));
    lines.push(c.dim(`===     valid:  ${cert.validFrom.slice(0, 10)} to ${cert.validTo.slice(0, 10)}, `) + days + c.dim(`; key ${cert.publicKey}`));
  });
  const chain = session.chainVerified ? c.green('chain trusted') : c.red(`chain NOT trusted (${printable(session.chainError ?? 'unknown reason')})`);
  const name = session.nameMatches ? c.green(`name ${session.nameChecked} matches`) : c.red(`name ${session.nameChecked} does NOT match`);
  lines.push(`${c.dim('=== verification:')} ${chain}, ${name}`);
  return lines;
}
