/**
 * Splitting a suite over CI runners (docs/ci.md#shards): shard I of N takes every
 * target whose position in the suite file, counted from 0, is I-1 modulo N. Every
 * runner computes the same slices from the same file, the slices differ in size by
 * one target at most, and together they hold every target once.
 */
export interface Shard {
  /** 1-based, as GitLab's CI_NODE_INDEX and `--shard 3/8` count. */
  index: number;
  total: number;
  /** Where the slice came from, for the report. */
  source: '--shard' | 'CI_NODE_INDEX/CI_NODE_TOTAL' | 'JOB_COMPLETION_INDEX/--shard-total';
}

/** Why a shard setting cannot be used; the CLI makes it a usage error naming the flag or variable. */
export class ShardError extends Error {}

const MAX_SHARDS = 10_000;

function count(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text.trim())) throw new ShardError(`${what} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

function checked(index: number, total: number, source: Shard['source']): Shard {
  if (total < 1 || total > MAX_SHARDS) throw new ShardError(`${source}: the number of shards must be 1 to ${MAX_SHARDS}, got ${total}`);
  if (index < 1 || index > total) throw new ShardError(`${source}: shard ${index} is not between 1 and ${total}`);
  return { index, total, source };
}

/** `--shard 3/8`. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new ShardError(`--shard must be I/N, e.g. 3/8 (shard 3 of 8), got ${JSON.stringify(text)}`);
  return checked(Number(match[1]), Number(match[2]), '--shard');
}

/**
 * The shard a scheduler already gives: GitLab's `parallel:` (CI_NODE_INDEX, 1-based,
 * and CI_NODE_TOTAL), or a Kubernetes indexed Job (JOB_COMPLETION_INDEX, 0-based; the
 * total comes from --shard-total, since the pod is not told it). Null: run everything.
 */
export function shardFromEnvironment(env: Readonly<Record<string, string | undefined>>, shardTotal?: string): Shard | null {
  // An empty variable is an unset one (a CI template that passes it through empty).
  const read = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const [nodeIndex, nodeTotal, completionIndex] = [read('CI_NODE_INDEX'), read('CI_NODE_TOTAL'), read('JOB_COMPLETION_INDEX')];
  if (nodeIndex !== undefined && nodeTotal !== undefined) {
    return checked(count(nodeIndex, 'CI_NODE_INDEX'), count(nodeTotal, 'CI_NODE_TOTAL'), 'CI_NODE_INDEX/CI_NODE_TOTAL');
  }
  if (completionIndex !== undefined) {
    if (shardTotal === undefined) throw new ShardError('JOB_COMPLETION_INDEX is set but not --shard-total: give the Job\'s completions count as --shard-total N');
    return checked(count(completionIndex, 'JOB_COMPLETION_INDEX') + 1, count(shardTotal, '--shard-total'), 'JOB_COMPLETION_INDEX/--shard-total');
  }
  if (shardTotal !== undefined) throw new ShardError('--shard-total is for Kubernetes indexed Jobs, and JOB_COMPLETION_INDEX is not set: use --shard I/N elsewhere');
  return null;
}

/** The items of one shard, with their positions in the whole list. */
export function shardSlice<T>(items: readonly T[], shard: Shard | null): { item: T; position: number }[] {
  return items.map((item, position) => ({ item, position })).filter(({ position }) => shard === null || position % shard.total === shard.index - 1);
}

/**
 * What a merge of several runs must say about them (`report merge`): each named
 * property on which they differ, and the shards of one total that are missing or given
 * twice. Empty when they fit together.
 */
export function mergeNotes(properties: readonly [what: string, values: readonly unknown[]][], shards: readonly Pick<Shard, 'index' | 'total'>[]): string[] {
  const notes: string[] = [];
  const differing = (what: string, values: readonly unknown[]) => {
    const distinct = [...new Set(values.map((value) => JSON.stringify(value ?? null)))];
    if (distinct.length > 1) notes.push(`the runs differ in ${what}: ${distinct.join(', ')}`);
  };
  for (const [what, values] of properties) differing(what, values);
  if (shards.length === 0) return notes;
  differing('number of shards', shards.map((shard) => shard.total));
  const total = Math.max(...shards.map((shard) => shard.total));
  const present = new Set(shards.map((shard) => shard.index));
  const missing = Array.from({ length: total }, (_, index) => index + 1).filter((index) => !present.has(index));
  if (missing.length > 0) notes.push(`shards missing: ${missing.map((index) => `${index}/${total}`).join(', ')}; what they ran is not in this report`);
  if (present.size < shards.length) notes.push('a shard is given more than once');
  return notes;
}
