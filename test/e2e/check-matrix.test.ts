import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { CheckResult, Verdict } from '../../src/checks/check.js';
import type { CheckTarget } from '../../src/checks/context.js';
import { CHECKS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/runner.js';
import type { DeferralClass } from '../../src/core/deferral.js';
import type { MatrixRow } from './expected-verdicts.js';
import { EXPECTED_DEFERRALS, EXPECTED_FLAWS, MATRIX_ROWS, expectedVerdict, matrixTarget } from './expected-verdicts.js';
import { postfixLab } from './postfix-lab.js';
import type { ConnectionSpec } from '../../src/core/connection-spec.js';

/** Issue 4's matrix on the real Postfix lab: the exact verdict of every cell (expected-verdicts.ts). */
// Rows run side by side: each waits out Dovecot's auth_failure_delay.
describe('check matrix against the real Postfix lab', { concurrency: 5 }, () => {
  const lab = postfixLab();

  it('the lab has every service the matrix expects', () => {
    assert.deepEqual(Object.keys(lab.services).sort(), Object.keys(EXPECTED_FLAWS).sort());
  });

  for (const [name, flaws] of Object.entries(EXPECTED_FLAWS)) {
    const service = lab.services[name];
    if (!service) continue;
    const row = MATRIX_ROWS[name] ?? {};
    it(`${name} (${service.role}, port ${service.port}): ${service.flaw ?? 'secure'}${service.front ? ` behind ${service.front}` : ''}; every check gives its expected verdict`, async (t) => {
      const base = matrixTarget(lab, service.port, service.role, name);
      const { connection, ...extra } = await rowTarget(lab.host, service.port, row);
      const target: CheckTarget = { ...base, ...extra, connection: { ...base.connection, ...connection } };
      const checks = CHECKS.filter((check) => check.roles.includes(service.role) && !(row.leaveOut && check.id in row.leaveOut));
      const started = performance.now();
      const results = await runChecks(checks, target);
      if (service.front) t.diagnostic(`check took ${Math.round(performance.now() - started)} ms behind ${service.front}`);
      const expected = (id: string): Verdict => expectedVerdict(name, service.role, id);
      const wrong = results.filter((result) => result.verdict !== expected(result.id));
      assert.deepEqual(
        wrong.map((result: CheckResult) => `${result.id}: got ${result.verdict} (${result.summary}), expected ${expected(result.id)}`),
        [],
      );
      for (const id of Object.keys(flaws).filter((id) => !(row.leaveOut && id in row.leaveOut))) assert.ok(checks.some((check) => check.id === id), `${id} applies to ${service.role}`);
      for (const result of results.filter((r) => r.verdict === 'fail')) {
        assert.ok(result.evidence.length > 0, `${result.id} has evidence`);
        assert.ok(result.fix, `${result.id} has a fix hint`);
      }
      const deferralClass = EXPECTED_DEFERRALS[name];
      for (const result of results.filter((r) => r.verdict === 'inconclusive')) {
        assert.ok(deferralClass, `${result.id} is inconclusive on ${name}, which defers nothing: ${result.summary}`);
        assert.deepEqual(deferralClasses(result.details), [deferralClass], `${result.id}: the deferral class in its details (${result.summary})`);
      }
    });
  }
});

/** The target settings a row asks for (MatrixRow), after any preparation it needs. */
async function rowTarget(host: string, port: number, row: MatrixRow): Promise<Partial<Omit<CheckTarget, 'connection'>> & { connection: Partial<ConnectionSpec> }> {
  if (row.spendConnections) await spendConnections(host, port);
  return {
    ...(row.retryDeferredMs !== undefined ? { retryDeferredMs: row.retryDeferredMs } : {}),
    ...(row.localRecipient ? { localRecipient: row.localRecipient } : {}),
    // A /24 of its own: postgrey keys its triplets on the client's /24 by default.
    connection: row.freshSource ? { localAddress: `127.${randomInt(1, 255)}.${randomInt(0, 256)}.1` } : {},
  };
}

/** Connect until the server greets with 421 (anvil's rate limit reached); at most a dozen connections. */
async function spendConnections(host: string, port: number): Promise<void> {
  for (let attempt = 0; attempt < 12; attempt += 1) {
    if ((await firstGreetingLine(host, port)).startsWith('421')) return;
  }
  throw new Error(`${host}:${port} still greets after a dozen connections: is its rate limit set?`);
}

function firstGreetingLine(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no greeting from ${host}:${port}`)));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) {
        socket.end('QUIT\r\n');
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

/** Every deferral class a result's details name (relay tables, the runner's, the enumeration's), without repeats. */
function deferralClasses(details: unknown): DeferralClass[] {
  const found = new Set<DeferralClass>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    const { deferral } = value as { deferral?: { class?: DeferralClass } | null };
    if (deferral?.class) found.add(deferral.class);
    Object.values(value).forEach(walk);
  };
  walk(details);
  return [...found];
}
