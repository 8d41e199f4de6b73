/**
 * Splitting one producer run over several worker processes (`producer.workers`). Pure.
 *
 * Why processes. node-rdkafka's produce() costs a few microseconds of JavaScript-thread
 * CPU per message and has no batch call, so one process tops out at one core's worth of
 * produce() calls while librdkafka and the brokers could take more. Each worker is a whole
 * producer (its own idempotent Kafka client) for a share of the symbols.
 *
 * The rule that keeps the guarantees: a symbol belongs to exactly one worker. Its ticks
 * are then made, numbered (seq) and published by one client in order, exactly as in a
 * single process, and every rejected row is reported by exactly one worker:
 *
 * - CSV replay: every worker reads the whole file (parsing is cheap next to the ticks a
 *   bar becomes) and keeps the bars of its symbols, by the same murmur2 hash Kafka's
 *   partitioner uses (with 6 partitions and 2 workers a worker owns whole partitions).
 *   A rejected row goes to the owner of its symbol, or to worker 0 when it has none.
 * - Simulator: the symbol list is dealt out in turn; `count` and `rate` are split in
 *   proportion to the symbols each worker has.
 */
import { partitionOf } from './wire.js';

export interface Shard {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

/** The worker a CSV symbol belongs to. */
export function shardOfSymbol(symbol: string, workers: number): number {
  return workers <= 1 ? 0 : partitionOf(Buffer.from(symbol, 'utf8'), workers);
}

/** Whether `shard` publishes this symbol's bars (CSV replay). */
export function ownsSymbol(shard: Shard, symbol: string): boolean {
  return shardOfSymbol(symbol, shard.count) === shard.index;
}

/** Whether `shard` reports a rejected row; rows without a symbol go to worker 0. */
export function ownsReject(shard: Shard, symbol: string | undefined): boolean {
  return symbol === undefined || symbol.length === 0 ? shard.index === 0 : ownsSymbol(shard, symbol);
}

/**
 * `total` split in proportion to `weights` in whole units, largest remainders first, so
 * the parts always add up to `total` exactly.
 */
export function splitByWeight(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum <= 0) throw new RangeError('weights must add up to more than 0');
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((s, x) => s + x, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts;
}

/** What one worker runs, on top of the run's own settings. */
export interface WorkerPlan {
  readonly shard: Shard;
  /** Simulator only: this worker's symbols, `SYMBOL:price,...`. */
  readonly symbols?: string;
  /** Simulator only: ticks to publish (0 = until stopped, as for the whole run). */
  readonly count?: number;
  /** Ticks per second for this worker; 0 = as fast as possible. */
  readonly rate: number;
}

export interface PlanInput {
  readonly workers: number;
  /** Ticks per second of the whole run; 0 = unlimited. */
  readonly rate: number;
  /** Simulator: the parsed symbol list; null for CSV replay. */
  readonly symbols: readonly { readonly symbol: string; readonly price: number }[] | null;
  /** Simulator: ticks of the whole run; 0 = until stopped. */
  readonly count: number;
}

/**
 * One plan per worker. The simulator gets no more workers than symbols, and none with
 * nothing to do when `count` is smaller than the worker count.
 */
export function planWorkers(input: PlanInput): WorkerPlan[] {
  if (input.symbols === null) {
    const n = Math.max(1, input.workers);
    return Array.from({ length: n }, (_, index) => ({ shard: { index, count: n }, rate: input.rate / n }));
  }
  let n = Math.max(1, Math.min(input.workers, input.symbols.length));
  if (input.count > 0) n = Math.min(n, input.count);
  const dealt = Array.from({ length: n }, (_, w) => input.symbols!.filter((_, i) => i % n === w));
  const weights = dealt.map((list) => list.length);
  const counts = input.count > 0 ? splitByWeight(input.count, weights) : weights.map(() => 0);
  // A worker with count 0 would run until stopped: give it one tick of the largest share.
  if (input.count > 0) {
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) {
        const donor = counts.indexOf(Math.max(...counts));
        counts[donor]! -= 1;
        counts[i] = 1;
      }
    }
  }
  return dealt.map((list, index) => ({
    shard: { index, count: n },
    symbols: list.map((s) => `${s.symbol}:${s.price}`).join(','),
    count: counts[index]!,
    rate: (input.rate * list.length) / input.symbols!.length,
  }));
}
