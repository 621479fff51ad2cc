#!/usr/bin/env bash
# Start-up: `smtpcheck --version`, `smtpcheck --help` and `smtpcheck send --help`
# next to bare `node -e 0`, with hyperfine (no shell in between: -N). Prints the
# median of each and the ratio to bare node (goal: within 1.3). bin/smtpcheck
# answers these without commander; to show what that saves, --help once more as
# commander renders it (SMTPCHECK_NO_HELP_CACHE=1, through env: one exec more),
# node importing only commander, and the time each module of commander's start-up
# path takes to import.
#
#   bash bench/startup.sh
#   RUNS=100 bash bench/startup.sh
#
# Measures, never asserts: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-60}
bench_need hyperfine
bench_build

results=$(mktemp)
commander_only=$(mktemp --suffix=.mjs)
trap 'rm -f "$results" "$commander_only"' EXIT
# The least a commander CLI can do: parse, print the version, exit.
printf "import { Command } from '%s';\nnew Command().version('0.0.0', '-V, --version').parse(process.argv);\n" "$BENCH_ROOT/node_modules/commander/index.js" >"$commander_only"

hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$results" \
  -n 'node -e 0' 'node -e 0' \
  -n 'smtpcheck --version' "node $BENCH_ROOT/bin/smtpcheck --version" \
  -n 'smtpcheck --help' "node $BENCH_ROOT/bin/smtpcheck --help" \
  -n 'smtpcheck send --help' "node $BENCH_ROOT/bin/smtpcheck send --help" \
  -n 'smtpcheck --help, by commander' "env SMTPCHECK_NO_HELP_CACHE=1 node $BENCH_ROOT/bin/smtpcheck --help" \
  -n 'node + commander only, --version' "node $commander_only --version" >/dev/null 2>&1 || bench_fail "hyperfine failed"

bench_machine
printf '%s runs each after 5 warm-ups; median (min–max) in ms; ratio to node -e 0 (goal: within 1.3)\n\n' "$RUNS"
node -e '
  const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const base = results[0].median;
  for (const result of results) {
    const ms = (s) => (s * 1000).toFixed(1);
    console.log(`${result.command.padEnd(36)} ${ms(result.median).padStart(7)} ms  (${ms(result.min)}–${ms(result.max)})   ratio ${(result.median / base).toFixed(2)}`);
  }' "$results"

printf '\nimport cost of the start-up path, in the order main.js loads it (ms, one process, cold):\n'
(cd "$BENCH_ROOT" && node --input-type=module -e '
  const modules = ["commander", "node:fs", "./dist/src/core/errors.js", "./dist/src/core/wire-text.js", "./dist/src/options/target.js", "node:net", "node:tls", "./dist/src/core/reply-reader.js", "./dist/src/core/tls-session.js", "./dist/src/core/connection.js", "./dist/src/options/connection-options.js"];
  for (const name of modules) {
    const started = performance.now();
    await import(name);
    console.log(`  ${name.padEnd(40)} ${(performance.now() - started).toFixed(1).padStart(6)}`);
  }')
exit 0
