/**
 * The chaos run's verdict, as pure code: what the producer had acknowledged (its ack log,
 * producer/ack-log.ts) against what is in each lake (or, for the fresh topics, in the topic
 * read back). A tick is named `SYMBOL#seq` (seq counts each symbol's ticks in one producer
 * run, so the name is unique within a run).
 *
 *  - acknowledged: reports with an offset and no error (lib/delivery.ts "delivered");
 *  - lost: acknowledged, absent from a lake;
 *  - duplicated: more than one row in a lake (the sink wrote an offset twice, or Kafka holds
 *    the tick twice);
 *  - unconfirmed: reports without an offset (librdkafka implicit acks), which the producer
 *    re-checks (producer/recheck.ts); counted, with how many did reach the lake, never lost;
 *  - failed: reports with an error (the producer counts them failed; not acknowledged).
 */
import type { AckRecord } from '../producer/ack-log.js';

export type { AckRecord } from '../producer/ack-log.js';

/** One row of a lake (raw/ticks) or of a topic read back. */
export interface StoredTick {
  readonly symbol: string;
  readonly seq: number;
  readonly partition: number;
  readonly offset: number;
}

export function tickName(symbol: string, seq: number): string {
  return `${symbol}#${seq}`;
}

/** Parses an ack log; throws naming the line when one is not a report line. */
export function parseAckLog(text: string): AckRecord[] {
  const out: AckRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0) continue;
    let r: Partial<AckRecord>;
    try {
      r = JSON.parse(line) as Partial<AckRecord>;
    } catch {
      throw new Error(`ack log line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
    }
    if (
      (r.s !== 'delivered' && r.s !== 'failed' && r.s !== 'unconfirmed') ||
      typeof r.p !== 'number' || typeof r.o !== 'number' || typeof r.sym !== 'string' || typeof r.seq !== 'number'
    ) {
      throw new Error(`ack log line ${i + 1} is not a report {s,p,o,sym,seq}: ${line.slice(0, 120)}`);
    }
    out.push(r as AckRecord);
  }
  return out;
}

export interface SetCheck {
  /** Distinct ticks acknowledged with an offset. */
  readonly acknowledged: number;
  /** Acknowledged ticks present (at least once). */
  readonly found: number;
  readonly rows: number;
  /** Acknowledged ticks absent, sorted. */
  readonly lost: string[];
  /** Ticks with more than one row, sorted. */
  readonly duplicated: string[];
  /** Acknowledged ticks found, but only at a position other than the acknowledged one. */
  readonly moved: string[];
  readonly unconfirmed: number;
  /** Of the unconfirmed ticks, how many are present. */
  readonly unconfirmedFound: number;
  readonly failed: number;
  /** Rows of ticks no report named (another producer, or a bug). */
  readonly unexpected: number;
}

/** Compares the reports with the stored ticks. */
export function checkSet(acks: readonly AckRecord[], rows: readonly StoredTick[]): SetCheck {
  const stored = new Map<string, StoredTick[]>();
  for (const r of rows) {
    const name = tickName(r.symbol, r.seq);
    const list = stored.get(name);
    if (list) list.push(r);
    else stored.set(name, [r]);
  }
  const acked = new Map<string, AckRecord>();
  const unconfirmed = new Set<string>();
  const reported = new Set<string>();
  let failed = 0;
  for (const a of acks) {
    const name = tickName(a.sym, a.seq);
    reported.add(name);
    if (a.s === 'delivered') acked.set(name, a);
    else if (a.s === 'unconfirmed') unconfirmed.add(name);
    else failed += 1;
  }
  const lost: string[] = [];
  const moved: string[] = [];
  let found = 0;
  for (const [name, a] of acked) {
    const at = stored.get(name);
    if (!at) {
      lost.push(name);
      continue;
    }
    found += 1;
    if (!at.some((r) => r.partition === a.p && r.offset === a.o)) moved.push(name);
  }
  const duplicated = [...stored].filter(([, list]) => list.length > 1).map(([name]) => name);
  let unconfirmedFound = 0;
  for (const name of unconfirmed) if (stored.has(name)) unconfirmedFound += 1;
  let unexpected = 0;
  for (const [name, list] of stored) if (!reported.has(name)) unexpected += list.length;
  return {
    acknowledged: acked.size,
    found,
    rows: rows.length,
    lost: lost.sort(),
    duplicated: duplicated.sort(),
    moved: moved.sort(),
    unconfirmed: unconfirmed.size,
    unconfirmedFound,
    failed,
    unexpected,
  };
}

export interface ChaosInput {
  readonly seed: number;
  readonly minutes: number;
  readonly mode: string;
  /** The ticks producer's reports. */
  readonly acks: readonly AckRecord[];
  /** Each lake's raw/ticks rows, by lake name (local, s3). */
  readonly lakes: Readonly<Record<string, readonly StoredTick[]>>;
  /** The fresh-topic faults' checks (reports against the topic read back). */
  readonly freshTopics: readonly SetCheck[];
  readonly faults: Readonly<Record<string, number>>;
}

export interface ChaosResult {
  readonly seed: number;
  readonly minutes: number;
  readonly mode: string;
  readonly acknowledged: number;
  /** Acknowledged ticks found in every lake. */
  readonly in_lake: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly unconfirmed: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly faults_total: number;
  readonly failed: number;
  readonly lakes: Record<string, { rows: number; found: number; lost: number; duplicated: number; moved: number; unexpected: number; unconfirmed_found: number }>;
  readonly fresh_topics: { topics: number; acknowledged: number; found: number; lost: number; duplicated: number; unconfirmed: number; unconfirmed_found: number };
  /** The first few lost and duplicated ticks (`lake:SYMBOL#seq`). */
  readonly lost_ticks: string[];
  readonly duplicated_ticks: string[];
}

const NAMED = 10;

/** The run's JSON verdict. A tick lost from (or duplicated in) several lakes counts once. */
export function judge(input: ChaosInput): ChaosResult {
  const lakes: ChaosResult['lakes'] = {};
  const lost = new Set<string>();
  const duplicated = new Set<string>();
  const lostNamed: string[] = [];
  const dupNamed: string[] = [];
  const names = Object.keys(input.lakes).sort();
  let inEvery = null as Set<string> | null;
  let main: SetCheck | null = null;
  for (const lake of names) {
    const rows = input.lakes[lake]!;
    const c = checkSet(input.acks, rows);
    main ??= c;
    lakes[lake] = { rows: c.rows, found: c.found, lost: c.lost.length, duplicated: c.duplicated.length, moved: c.moved.length, unexpected: c.unexpected, unconfirmed_found: c.unconfirmedFound };
    for (const t of c.lost) lost.add(t);
    for (const t of c.duplicated) duplicated.add(t);
    lostNamed.push(...c.lost.slice(0, NAMED).map((t) => `${lake}:${t}`));
    dupNamed.push(...c.duplicated.slice(0, NAMED).map((t) => `${lake}:${t}`));
    const present = new Set(rows.map((r) => tickName(r.symbol, r.seq)));
    inEvery = inEvery === null ? present : new Set([...inEvery].filter((t) => present.has(t)));
  }
  const acked = main ?? checkSet(input.acks, []);
  const ackedNames = new Set(input.acks.filter((a) => a.s === 'delivered').map((a) => tickName(a.sym, a.seq)));
  const inLake = inEvery ? [...inEvery].filter((t) => ackedNames.has(t)).length : 0;
  const fresh = input.freshTopics.reduce(
    (sum, c) => ({
      topics: sum.topics + 1,
      acknowledged: sum.acknowledged + c.acknowledged,
      found: sum.found + c.found,
      lost: sum.lost + c.lost.length,
      duplicated: sum.duplicated + c.duplicated.length,
      unconfirmed: sum.unconfirmed + c.unconfirmed,
      unconfirmed_found: sum.unconfirmed_found + c.unconfirmedFound,
    }),
    { topics: 0, acknowledged: 0, found: 0, lost: 0, duplicated: 0, unconfirmed: 0, unconfirmed_found: 0 },
  );
  input.freshTopics.forEach((c, i) => {
    lostNamed.push(...c.lost.slice(0, NAMED).map((t) => `fresh-${i + 1}:${t}`));
    dupNamed.push(...c.duplicated.slice(0, NAMED).map((t) => `fresh-${i + 1}:${t}`));
  });
  return {
    seed: input.seed,
    minutes: input.minutes,
    mode: input.mode,
    acknowledged: acked.acknowledged,
    in_lake: inLake,
    lost: lost.size + fresh.lost,
    duplicated: duplicated.size + fresh.duplicated,
    unconfirmed: acked.unconfirmed + fresh.unconfirmed,
    faults: { ...input.faults },
    faults_total: Object.values(input.faults).reduce((a, b) => a + b, 0),
    failed: acked.failed,
    lakes,
    fresh_topics: fresh,
    lost_ticks: lostNamed.slice(0, NAMED),
    duplicated_ticks: dupNamed.slice(0, NAMED),
  };
}

/** Why the run fails (lost or duplicated ticks, named), or null. */
export function failureOf(r: ChaosResult): string | null {
  const parts: string[] = [];
  if (r.lost > 0) parts.push(`${r.lost} acknowledged tick(s) lost (first: ${r.lost_ticks.join(', ')})`);
  if (r.duplicated > 0) parts.push(`${r.duplicated} tick(s) duplicated (first: ${r.duplicated_ticks.join(', ')})`);
  if (r.acknowledged === 0) parts.push('no tick was acknowledged: the run proves nothing');
  return parts.length > 0 ? parts.join('; ') : null;
}
