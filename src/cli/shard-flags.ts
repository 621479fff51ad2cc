import type { Shard } from '../checks/shard.js';
import { parseShard, shardFromEnvironment, ShardError } from '../checks/shard.js';
import { UsageError } from '../core/errors.js';

export interface ShardFlags {
  shard?: string;
  shardTotal?: string;
}

/** --shard I/N, else the index the CI system or scheduler gives (docs/ci.md#shards); null: everything. */
export function shardFromFlags(flags: ShardFlags, docs: string): Shard | null {
  try {
    return flags.shard !== undefined ? parseShard(flags.shard) : shardFromEnvironment(process.env, flags.shardTotal);
  } catch (error) {
    if (error instanceof ShardError) throw new UsageError(error.message, `see ${docs}`);
    throw error;
  }
}
