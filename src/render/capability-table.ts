import type { ChalkInstance } from 'chalk';
import type { Capabilities } from '../core/capabilities.js';
import type { CapabilityFinding } from '../core/capability-findings.js';
import { describeSize, EXTENSION_DESCRIPTIONS } from '../core/extension-descriptions.js';
import { printable } from './printable.js';

export interface CapabilityColumns {
  label: string;
  capabilities: Capabilities | null;
}

/**
 * The capability lists side by side, one keyword a row, with what each means.
 * Keywords, parameters and the findings that quote them are the server's words, so
 * they are escaped here, before they are padded and coloured, as the transcript
 * escapes replies: the output's last line of defence (terminalSafe) keeps colour
 * sequences for our own colours and cannot tell a server's ESC [ 31 m from chalk's.
 */
export function renderCapabilityTable(columns: CapabilityColumns[], findings: CapabilityFinding[], c: ChalkInstance): string[] {
  const keywords: string[] = [];
  for (const column of columns) for (const key of column.capabilities?.extensions.keys() ?? []) if (!keywords.includes(key)) keywords.push(key);
  const cell = (caps: Capabilities | null, key: string): string => {
    if (!caps) return '';
    const params = caps.extensions.get(key);
    if (!params) return '—';
    return params.length > 0 ? printable(params.join(' ')) : 'yes';
  };
  const keyWidth = Math.max(8, ...keywords.map((key) => printable(key).length));
  const widths = columns.map((column) => Math.min(28, Math.max(column.label.length, ...keywords.map((key) => cell(column.capabilities, key).length))));
  const pad = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const lines = [c.bold(`${pad('KEYWORD', keyWidth)}  ${columns.map((column, index) => pad(column.label, widths[index]!)).join('  ')}  MEANING`)];
  for (const key of keywords) {
    const flagged = findings.some((finding) => finding.keyword === key && finding.level === 'warn');
    const cells = columns.map((column, index) => {
      const text = pad(cell(column.capabilities, key), widths[index]!);
      return text.trim() === '—' ? c.dim(text) : text;
    });
    const sizeNote = key === 'SIZE' ? describeSize(columns.map((column) => column.capabilities?.size ?? null).find((size) => size !== null) ?? null) : '';
    const meaning = [EXTENSION_DESCRIPTIONS[key] ?? 'extension not known to smtpcheck', sizeNote].filter(Boolean).join(': ');
    lines.push(`${(flagged ? c.yellow : c.cyan)(pad(printable(key), keyWidth))}  ${cells.join('  ')}  ${c.dim(meaning)}`);
  }
  for (const finding of findings) lines.push(finding.level === 'warn' ? c.yellow(`  ! ${printable(finding.message)}`) : c.dim(`  i ${printable(finding.message)}`));
  return lines;
}
