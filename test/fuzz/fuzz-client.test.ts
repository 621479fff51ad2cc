import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The long fuzz run (test/fuzz/fuzz-client.mjs, docs/security.md) lives with the fuzz
 * tests and imports the build: a short run here keeps it from rotting when a module
 * moves (it imported ExitCode from a module that no longer had it), and fails on any
 * crash, hang or false pass it finds in that time.
 */
const CLIENT = fileURLToPath(new URL('../../../test/fuzz/fuzz-client.mjs', import.meta.url));

describe('the fuzz client', () => {
  it('runs a short seeded round with no crash, hang or false pass (exit 0)', async () => {
    const child = spawn(process.execPath, [CLIENT, '--seconds', '2', '--seed', '42', '--concurrency', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /fuzz-client: \d+ s, \d+ runs .*0 crashes, 0 hangs, 0 false passes/);
  });
});
