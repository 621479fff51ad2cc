import { readFileSync } from 'node:fs';
import type { Document, Node, Pair, Scalar } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Verdict } from '../checks/check.js';
import { findCheck } from '../checks/registry.js';
import { VERDICTS } from '../checks/verdict-policy.js';
import { UsageError } from '../core/errors.js';
import { DOMAIN_CHECKS } from '../domain/domain-checks.js';

/**
 * The CI suite file (docs/ci.md): targets, their checks, expectations and
 * thresholds. Validated strictly, and every error names the file, line and column.
 * Passwords never live in the file: only the name of an environment variable.
 */
export interface SuiteTarget {
  name: string;
  /** host:port; empty for a domain target. */
  server: string;
  /** A mail domain: every MX address of it is tested as `smtpcheck domain` does (docs/domain.md). */
  domain?: string;
  /** Resolvers for a domain target (IP[:PORT]); default /etc/resolv.conf. */
  resolver?: string[];
  role?: string;
  tls?: 'starttls' | 'none' | 'implicit';
  localRecipient?: string;
  localDomain?: string;
  foreignDomain?: string;
  alias?: string;
  otherSender?: string;
  tlsCa?: string;
  tlsServername?: string;
  helo?: string;
  timeout?: number;
  /** Seconds to wait before asking a deferred probe again (--retry-deferred). */
  retryDeferred?: number;
  auth?: { user: string; passwordEnv: string };
  checks?: string[];
  skip?: string[];
  /** Check id → verdicts accepted for it on this target (e.g. auth-on-mx: [warn]). */
  expect: Record<string, Verdict[]>;
  certDaysLeft?: number;
}

export interface SuiteConfig {
  targets: SuiteTarget[];
  maxConnections: number;
  strict: boolean;
}

export class ConfigError extends UsageError {
  constructor(message: string, hint?: string) {
    super(message, hint, 'bad-config');
  }
}

const TARGET_KEYS = ['name', 'server', 'domain', 'resolver', 'role', 'tls', 'local-recipient', 'local-domain', 'foreign-domain', 'alias', 'other-sender', 'tls-ca', 'tls-servername', 'helo', 'timeout', 'retry-deferred', 'auth', 'checks', 'skip', 'expect', 'thresholds'] as const;

export function loadSuiteConfig(path: string): SuiteConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check the path given to --config');
  }
  return parseSuiteConfig(text, path);
}

export function parseSuiteConfig(text: string, file: string): SuiteConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (node: Node | Pair | null | undefined): string => {
    const offset = node && 'range' in node && node.range ? node.range[0] : node && 'key' in node && (node.key as Node | null)?.range ? (node.key as Node).range![0] : 0;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const bad = (node: Node | Pair | null | undefined, message: string, hint = 'see docs/ci.md for the format'): never => {
    throw new ConfigError(`${where(node)}: ${message}`, hint);
  };
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new ConfigError(`${file}:${line}:${col}: YAML syntax: ${error.message.split('\n')[0]}`, 'fix the YAML syntax (indentation, colons, quotes)');
  }
  const root = doc.contents;
  if (!isMap(root)) bad(root as Node, 'the file must be a mapping with a "targets" list');
  const rootMap = root as unknown as { items: Pair[] };
  let targetsNode: Node | null = null;
  let maxConnections = 32;
  let strict = false;
  for (const pair of rootMap.items) {
    const key = String((pair.key as Scalar).value);
    if (key === 'targets') targetsNode = pair.value as Node;
    else if (key === 'max-connections') maxConnections = positiveNumber(pair, bad);
    else if (key === 'strict') strict = booleanValue(pair, bad);
    else bad(pair, `unknown key "${key}" (expected targets, max-connections, strict)`);
  }
  if (!targetsNode || !isSeq(targetsNode) || targetsNode.items.length === 0) bad(targetsNode ?? (root as Node), '"targets" must be a non-empty list');
  const targets = (targetsNode as unknown as { items: Node[] }).items.map((node, index) => parseTarget(node, index, doc, bad));
  const names = new Set<string>();
  for (const [index, target] of targets.entries()) {
    if (names.has(target.name)) bad((targetsNode as unknown as { items: Node[] }).items[index], `two targets are named "${target.name}"`);
    names.add(target.name);
  }
  return { targets, maxConnections, strict };
}

type Bad = (node: Node | Pair | null | undefined, message: string, hint?: string) => never;

function parseTarget(node: Node, index: number, _doc: Document, bad: Bad): SuiteTarget {
  if (!isMap(node)) bad(node, `target ${index + 1} must be a mapping (name:, server:, …)`);
  const target: SuiteTarget = { name: '', server: '', expect: {} };
  for (const pair of (node as unknown as { items: Pair[] }).items) {
    const key = String((pair.key as Scalar).value);
    if (!(TARGET_KEYS as readonly string[]).includes(key)) {
      if (key === 'password' || key === 'auth-password') bad(pair, 'passwords never go in the config file', 'name an environment variable instead: auth: { user: …, password-env: SMTP_PASSWORD }');
      bad(pair, `unknown key "${key}" in target ${index + 1}`, `allowed: ${TARGET_KEYS.join(', ')}`);
    }
    switch (key) {
      case 'name':
      case 'server':
      case 'domain':
      case 'role':
      case 'local-recipient':
      case 'local-domain':
      case 'foreign-domain':
      case 'alias':
      case 'other-sender':
      case 'tls-ca':
      case 'tls-servername':
      case 'helo':
        (target as unknown as Record<string, string>)[camel(key)] = stringValue(pair, bad);
        break;
      case 'tls': {
        const mode = stringValue(pair, bad);
        if (mode !== 'starttls' && mode !== 'none' && mode !== 'implicit') bad(pair.value as Node, `tls must be starttls, none or implicit, not "${mode}"`);
        target.tls = mode as SuiteTarget['tls'];
        break;
      }
      case 'resolver':
        target.resolver = isSeq(pair.value) ? (pair.value as unknown as { items: Node[] }).items.map((item) => stringValue({ key: pair.key, value: item } as Pair, bad)) : [stringValue(pair, bad)];
        break;
      case 'timeout':
        target.timeout = positiveNumber(pair, bad);
        break;
      case 'retry-deferred':
        target.retryDeferred = positiveNumber(pair, bad);
        break;
      case 'auth':
        target.auth = parseAuth(pair, bad);
        break;
      case 'checks':
      case 'skip':
        target[key] = checkIdList(pair, bad);
        break;
      case 'expect':
        target.expect = parseExpect(pair, bad);
        break;
      case 'thresholds':
        target.certDaysLeft = parseThresholds(pair, bad);
        break;
    }
  }
  if (target.server && target.domain) bad(node, `target ${index + 1} has both server and domain`, 'a target is one server (server: host:port) or every MX of a domain (domain: example.org)');
  if (!target.server && !target.domain) bad(node, `target ${index + 1} has no server`, 'add server: host:port, or domain: example.org for every MX of a domain');
  if (target.resolver && !target.domain) bad(node, `target ${index + 1}: resolver applies to domain targets only`);
  if (!target.name) target.name = target.server || target.domain!;
  return target;
}

/** An id of `check` or of `domain` (a suite may name either; docs/checks.md). */
const knownCheckId = (id: string): boolean => findCheck(id) !== undefined || Object.hasOwn(DOMAIN_CHECKS, id);

const camel = (key: string) => key.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());

function stringValue(pair: Pair, bad: Bad): string {
  const value = pair.value as Node;
  if (!isScalar(value) || (typeof value.value !== 'string' && typeof value.value !== 'number')) bad(value ?? pair, `${String((pair.key as Scalar).value)} must be a text value`);
  return String((value as Scalar).value);
}

function positiveNumber(pair: Pair, bad: Bad): number {
  const value = pair.value as Node;
  if (!isScalar(value) || typeof value.value !== 'number' || value.value <= 0) bad(value ?? pair, `${String((pair.key as Scalar).value)} must be a positive number`);
  return (value as Scalar<number>).value;
}

function booleanValue(pair: Pair, bad: Bad): boolean {
  const value = pair.value as Node;
  if (!isScalar(value) || typeof value.value !== 'boolean') bad(value ?? pair, `${String((pair.key as Scalar).value)} must be true or false`);
  return (value as Scalar<boolean>).value;
}

function checkIdList(pair: Pair, bad: Bad): string[] {
  const value = pair.value as Node;
  if (!isSeq(value)) bad(value ?? pair, `${String((pair.key as Scalar).value)} must be a list of check ids`);
  return (value as unknown as { items: Node[] }).items.map((item) => {
    if (!isScalar(item) || typeof item.value !== 'string') bad(item, 'a check id must be text');
    const id = (item as Scalar<string>).value;
    if (!knownCheckId(id)) bad(item, `unknown check id "${id}"`, 'see docs/checks.md for the ids');
    return id;
  });
}

function parseAuth(pair: Pair, bad: Bad): { user: string; passwordEnv: string } {
  const value = pair.value as Node;
  if (!isMap(value)) bad(value ?? pair, 'auth must be a mapping with user and password-env');
  let user = '';
  let passwordEnv = '';
  for (const item of (value as unknown as { items: Pair[] }).items) {
    const key = String((item.key as Scalar).value);
    if (key === 'user') user = stringValue(item, bad);
    else if (key === 'password-env') passwordEnv = stringValue(item, bad);
    else if (key === 'password') bad(item, 'passwords never go in the config file', 'use password-env: NAME_OF_ENVIRONMENT_VARIABLE');
    else bad(item, `unknown key "${key}" in auth (expected user, password-env)`);
  }
  if (!user || !passwordEnv) bad(value, 'auth needs both user and password-env');
  return { user, passwordEnv };
}

function parseExpect(pair: Pair, bad: Bad): Record<string, Verdict[]> {
  const value = pair.value as Node;
  if (!isMap(value)) bad(value ?? pair, 'expect must map check ids to verdicts, e.g. tls-versions: warn');
  const expect: Record<string, Verdict[]> = {};
  for (const item of (value as unknown as { items: Pair[] }).items) {
    const id = String((item.key as Scalar).value);
    if (!knownCheckId(id)) bad(item, `unknown check id "${id}" in expect`, 'see docs/checks.md for the ids');
    const verdicts = isSeq(item.value) ? (item.value as unknown as { items: Scalar[] }).items.map((scalar) => String(scalar.value)) : [stringValue(item, bad)];
    for (const verdict of verdicts) if (!(VERDICTS as readonly string[]).includes(verdict)) bad(item.value as Node, `"${verdict}" is not a verdict (${VERDICTS.join(', ')})`);
    expect[id] = verdicts as Verdict[];
  }
  return expect;
}

function parseThresholds(pair: Pair, bad: Bad): number | undefined {
  const value = pair.value as Node;
  if (!isMap(value)) bad(value ?? pair, 'thresholds must be a mapping, e.g. cert-days-left: 21');
  let days: number | undefined;
  for (const item of (value as unknown as { items: Pair[] }).items) {
    const key = String((item.key as Scalar).value);
    if (key === 'cert-days-left') days = positiveNumber(item, bad);
    else bad(item, `unknown threshold "${key}" (expected cert-days-left)`);
  }
  return days;
}
