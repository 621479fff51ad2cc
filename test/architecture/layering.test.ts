import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The layering of docs/architecture.md#the-layers, held to the code: every relative
 * import in src/ goes from a folder to one the table lets it use. A new arrow against
 * the layers fails here, naming the file and the import.
 */
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  checks: ['core'],
  domain: ['core', 'checks'],
  render: ['core', 'checks', 'domain'],
  options: ['core', 'checks'],
  outcome: ['core', 'checks'],
  lab: ['core', 'checks'],
  repl: ['core', 'checks', 'render', 'options', 'outcome'],
  bench: ['core', 'checks', 'render', 'options', 'outcome'],
  cli: ['core', 'checks', 'domain', 'render', 'options', 'outcome', 'lab', 'repl', 'bench'],
};

/** The arrows docs/architecture.md#known-departures-from-the-layering still lists. */
const KNOWN_DEPARTURES = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
}

/** Every `import … from './x.js'`, `export … from`, `import './x.js'` and `import('./x.js')` of a file, as paths relative to src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^(?:import|export)\b[^'"]*?\bfrom\s*|^import\s*|\bimport\(\s*)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(SRC, normalize(join(dirname(file), specifier))).replace(/\.js$/, '.ts'));
}

/** The imports of a file that load code when it runs: not `import type` / `export type`. */
function valueImportsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^(?:import|export)(?!\s+type\b)[^'"]*?\bfrom\s*|^import\s*|\bimport\(\s*)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(SRC, normalize(join(dirname(file), specifier))).replace(/\.js$/, '.ts'));
}

const folderOf = (path: string): string => path.split('/')[0]!;

describe('layering (docs/architecture.md#the-layers)', () => {
  const files = sourceFiles(SRC);

  it('every folder of src/ has a row in the table', () => {
    const folders = new Set(files.map((file) => folderOf(relative(SRC, file))));
    assert.deepEqual([...folders].filter((folder) => !(folder in MAY_IMPORT)), []);
  });

  it('no import runs against the layers', () => {
    const against: string[] = [];
    for (const file of files) {
      const from = relative(SRC, file);
      for (const to of importsOf(file)) {
        const allowed = folderOf(to) === folderOf(from) || MAY_IMPORT[folderOf(from)]!.includes(folderOf(to));
        const arrow = `${from} -> ${to}`;
        if (!allowed && !KNOWN_DEPARTURES.has(arrow)) against.push(arrow);
      }
    }
    assert.deepEqual(against, []);
  });

  it('the known departures are still there (delete them from the list and the docs once gone)', () => {
    const arrows = new Set(files.flatMap((file) => importsOf(file).map((to) => `${relative(SRC, file)} -> ${to}`)));
    assert.deepEqual([...KNOWN_DEPARTURES].filter((arrow) => !arrows.has(arrow)), []);
  });

  it('no circle of imports that run code, static or dynamic (type-only imports aside)', () => {
    const runs = new Map(files.map((file) => [relative(SRC, file), valueImportsOf(file)]));
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (path: string, trail: string[]): void => {
      state.set(path, 'open');
      for (const next of runs.get(path) ?? []) {
        if (state.get(next) === 'open') circles.push([...trail.slice(trail.indexOf(next)), next].join(' -> '));
        else if (!state.has(next)) visit(next, [...trail, next]);
      }
      state.set(path, 'done');
    };
    for (const path of runs.keys()) if (!state.has(path)) visit(path, [path]);
    assert.deepEqual(circles, []);
  });

  it('the reader finds imports of every form it must judge', () => {
    // A guard on the regular expression itself: a file of this repository with static, re-export and dynamic imports.
    const main = importsOf(join(SRC, 'cli', 'main.ts'));
    assert.ok(main.includes('options/connection-options.ts'));
    assert.ok(main.includes('outcome/describe-error.ts'), 'the dynamic import(...) of the error path');
  });
});
