import { readdirSync } from 'node:fs';
import { SASL_MECHANISMS } from '../core/sasl.js';
import type { ArgumentKind } from './meta-commands.js';
import { findMetaCommand, META_COMMANDS } from './meta-commands.js';
import { SMTP_VERBS } from './raw-line.js';

/** What completion needs to know about the session; everything else is fixed. */
export interface CompletionContext {
  /** Mechanisms the server advertised, if EHLO was sent; all smtpcheck knows otherwise. */
  mechanisms: readonly string[];
  checkIds: readonly string[];
}

/**
 * Tab completion in readline's shape: the candidates for the word being typed, and
 * that word. Meta-commands and their arguments complete after ":"; otherwise SMTP
 * verbs, in the case the user started typing them.
 */
export function completeLine(line: string, context: CompletionContext): [string[], string] {
  const words = line.trimStart().split(/\s+/);
  const fragment = words[words.length - 1] ?? '';
  const position = words.length - 1;
  if (line.trimStart().startsWith(':')) {
    if (position === 0) return [matching(META_COMMANDS.map((spec) => `:${spec.name}`), fragment), fragment];
    const spec = findMetaCommand(words[0]!);
    if (!spec) return [[], fragment];
    const candidates = argumentCandidates(spec.arguments, position, context, fragment);
    // File names are case-sensitive; everything else completes whatever case was typed.
    return [spec.arguments === 'file' ? candidates.filter((candidate) => candidate.startsWith(fragment)) : matching(candidates, fragment), fragment];
  }
  if (position === 0) {
    const lower = fragment !== '' && fragment === fragment.toLowerCase();
    const verbs = SMTP_VERBS.map((verb) => (lower ? verb.toLowerCase() : verb));
    return [matching(verbs, fragment), fragment];
  }
  if (position === 1 && words[0]!.toUpperCase() === 'AUTH') return [matching(mechanismNames(context), fragment), fragment];
  return [[], fragment];
}

function argumentCandidates(kind: ArgumentKind, position: number, context: CompletionContext, fragment: string): string[] {
  if (position !== 1) return [];
  switch (kind) {
    case 'mechanism':
      return mechanismNames(context).map((name) => name.toLowerCase());
    case 'b64-mode':
      return ['encode', 'decode'];
    case 'check-id':
      return [...context.checkIds];
    case 'meta-command':
      return META_COMMANDS.map((spec) => spec.name);
    case 'file':
      return pathCandidates(fragment);
    case 'none':
      return [];
  }
}

/**
 * The entries of the directory the fragment names (the working directory when it has
 * no "/"), as the fragment spells the directory; directories end in "/" so that Tab
 * goes on into them. A directory that cannot be read completes to nothing.
 */
function pathCandidates(fragment: string): string[] {
  const slash = fragment.lastIndexOf('/');
  const prefix = fragment.slice(0, slash + 1);
  try {
    return readdirSync(prefix === '' ? '.' : prefix, { withFileTypes: true }).map((entry) => `${prefix}${entry.name}${entry.isDirectory() ? '/' : ''}`);
  } catch {
    return [];
  }
}

function mechanismNames(context: CompletionContext): string[] {
  return context.mechanisms.length > 0 ? [...context.mechanisms] : SASL_MECHANISMS.map((mechanism) => mechanism.name);
}

function matching(candidates: readonly string[], fragment: string): string[] {
  const wanted = fragment.toLowerCase();
  return candidates.filter((candidate) => candidate.toLowerCase().startsWith(wanted));
}
