import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CheckDefinition, Role } from '../../src/checks/check.js';
import { ALL_ROLES, severityFor } from '../../src/checks/check.js';
import { CHECKS } from '../../src/checks/registry.js';

/**
 * docs/checks.md's index repeats each check's roles and severity for readers; the
 * registry is the truth. A check added, re-graded or given another role without its
 * docs fails here.
 */
const DOC = readFileSync(new URL('../../../docs/checks.md', import.meta.url), 'utf8');

function rolesText(check: CheckDefinition): string {
  return ALL_ROLES.every((role) => check.roles.includes(role)) ? 'all' : check.roles.join(', ');
}

/** "high", or "low (mta), med (submission, submissions)" when the severity depends on the role. */
function severityText(check: CheckDefinition): string {
  const byLevel = new Map<string, Role[]>();
  for (const role of check.roles) {
    const level = severityFor(check, role);
    byLevel.set(level, [...(byLevel.get(level) ?? []), role]);
  }
  if (byLevel.size === 1) return [...byLevel.keys()][0]!;
  return [...byLevel].map(([level, roles]) => `${level} (${roles.join(', ')})`).join(', ');
}

/** The index rows: id → [roles, severity]. */
function indexRows(): Map<string, [string, string]> {
  const index = DOC.slice(DOC.indexOf('\n## Index\n'), DOC.indexOf('\n---\n', DOC.indexOf('\n## Index\n')));
  const rows = new Map<string, [string, string]>();
  for (const match of index.matchAll(/^\| \[`([a-z0-9-]+)`\]\(#\1\) \| ([^|]+) \| ([^|]+) \|/gm)) rows.set(match[1]!, [match[2]!.trim(), match[3]!.trim()]);
  return rows;
}

describe('docs/checks.md agrees with the check registry', () => {
  const rows = indexRows();

  it('the index lists every check, in registry order, and nothing else', () => {
    assert.deepEqual([...rows.keys()], CHECKS.map((check) => check.id));
  });

  for (const check of CHECKS) {
    it(`${check.id}: roles and severity in the index are the registry's, and it has its own section`, () => {
      assert.deepEqual(rows.get(check.id), [rolesText(check), severityText(check)]);
      assert.match(DOC, new RegExp(`^## ${check.id}$`, 'm'));
    });
  }
});
