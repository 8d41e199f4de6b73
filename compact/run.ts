/**
 * `tickstream compact`: the I/O around compact/plan.ts. For every partition of every table
 * it lists the folder, reads the marker, asks `nextStep` and does that step, until the
 * partition is done, waits for a grace period, or has nothing to do. The lake is a folder or
 * S3: everything goes through the sink's ObjectStore (put is atomic, list is complete).
 *
 * Exactly once: the rows of a group's files are counted as they are read, the staged output
 * is read back and counted again before the commit, and the commit (one marker PUT) is the
 * only moment marker-aware readers switch. A file that cannot be read stops that
 * partition's compaction with the file's name; nothing of the partition is deleted.
 *
 * One compaction run at a time per lake (a schedule, not a fleet): two runs on one partition
 * could roll back each other's uncommitted outputs.
 */
import { encodeColumns, type Columns } from '../consumer/format/parquet.js';
import type { ObjectStore } from '../consumer/store/store.js';
import { LAKE_TABLES, type LakeTable } from '../lib/lake.js';
import { concatColumns, decodeFile, sortOrder } from './columns.js';
import {
  MARKER_NAME,
  decodeMarker,
  encodeMarker,
  finalName,
  generationOf,
  markerFiles,
  stagedName,
  visibleFiles,
  type CompactionMarker,
} from './marker.js';
import { nextStep, type CompactionPolicy, type PartitionFile, type PartitionState, type Step } from './plan.js';

/** Where a test may make a run die: after the named step's writes, before what follows. */
export type CrashPoint = 'staged' | 'committed' | 'copied' | 'replaced-deleted' | 'promoted' | 'staged-deleted' | 'rolled-back';

export interface CompactOptions {
  readonly store: ObjectStore;
  readonly policy: CompactionPolicy;
  readonly tables?: readonly LakeTable[];
  /** Only partitions whose folder name (`dt=...`) is in this list. */
  readonly partitions?: readonly string[];
  /** Plan and report, write nothing. */
  readonly dryRun?: boolean;
  readonly now?: () => number;
  readonly onProgress?: (line: string) => void;
  /** Tests: called at each crash point; a throw there is a crash between two steps. */
  readonly crash?: (point: CrashPoint, partition: string) => void;
}

export interface PartitionReport {
  readonly table: string;
  readonly partition: string;
  /** What was done, in order (compact, promote, finish, rollback), and how it ended. */
  readonly steps: readonly string[];
  readonly outcome: 'done' | 'waiting' | 'skipped' | 'failed' | 'planned';
  readonly reason?: string;
  readonly filesBefore: number;
  readonly bytesBefore: number;
  readonly filesAfter: number;
  readonly bytesAfter: number;
  readonly rows?: number;
}

export interface CompactReport {
  readonly partitions: readonly PartitionReport[];
  readonly failed: number;
  readonly elapsedMs: number;
}

/** Compacts every closed partition of the lake's tables. Failures are per partition and reported. */
export async function compactLake(options: CompactOptions): Promise<CompactReport> {
  const started = performance.now();
  const out: PartitionReport[] = [];
  const progress = options.onProgress ?? (() => undefined);
  for (const table of options.tables ?? LAKE_TABLES) {
    const partitions = await listPartitions(options.store, table);
    const wanted = [...partitions.keys()].filter((p) => !options.partitions || options.partitions.includes(p.slice(p.lastIndexOf('/') + 1))).sort();
    progress(`${table.name}: ${wanted.length} partition(s) under ${options.store.url}/${table.prefix}`);
    let i = 0;
    for (const prefix of wanted) {
      i++;
      const report = await compactPartition(options, table, prefix, partitions.get(prefix)!);
      out.push(report);
      if (report.outcome !== 'skipped' || i % 500 === 0 || i === wanted.length) {
        progress(
          `${table.name} [${i}/${wanted.length}] ${report.partition}: ${report.outcome}` +
            (report.steps.length ? ` (${report.steps.join(', ')})` : '') +
            (report.outcome === 'done' || report.outcome === 'waiting' ? ` files ${report.filesBefore} -> ${report.filesAfter}, bytes ${report.bytesBefore} -> ${report.bytesAfter}` : '') +
            (report.reason ? `: ${report.reason}` : ''),
        );
      }
    }
  }
  return { partitions: out, failed: out.filter((p) => p.outcome === 'failed').length, elapsedMs: performance.now() - started };
}

/** The table's partition folders (`raw/ticks/dt=...`) with the objects directly in each. */
export async function listPartitions(store: ObjectStore, table: LakeTable): Promise<Map<string, PartitionFile[]>> {
  const out = new Map<string, PartitionFile[]>();
  for (const o of await store.listInfo(`${table.prefix}/`)) {
    const rest = o.key.slice(table.prefix.length + 1);
    const m = /^(dt=[^/]+)\/([^/]+)$/.exec(rest);
    if (!m) continue;
    const prefix = `${table.prefix}/${m[1]}`;
    const files = out.get(prefix) ?? [];
    files.push({ name: m[2]!, bytes: o.bytes, modifiedMs: o.modifiedMs });
    out.set(prefix, files);
  }
  return out;
}

async function readState(store: ObjectStore, prefix: string, listed?: readonly PartitionFile[]): Promise<PartitionState> {
  const files =
    listed ??
    (await store.listInfo(`${prefix}/`))
      .filter((o) => !o.key.slice(prefix.length + 1).includes('/'))
      .map((o) => ({ name: o.key.slice(prefix.length + 1), bytes: o.bytes, modifiedMs: o.modifiedMs }));
  const markerBytes = files.some((f) => f.name === MARKER_NAME) ? await store.get(`${prefix}/${MARKER_NAME}`) : null;
  const marker = markerBytes ? decodeMarker(markerBytes, `${store.url}/${prefix}/${MARKER_NAME}`) : null;
  return { prefix, files: files.filter((f) => f.name !== MARKER_NAME), marker };
}

/** Sizes of what a reader takes from the partition. */
function visibleSize(state: PartitionState): { files: number; bytes: number } {
  const names = new Set(visibleNames(state));
  const files = state.files.filter((f) => names.has(f.name));
  return { files: files.length, bytes: files.reduce((s, f) => s + f.bytes, 0) };
}

function visibleNames(state: PartitionState): string[] {
  return visibleFiles(
    state.files.map((f) => f.name),
    state.marker,
  );
}

async function compactPartition(options: CompactOptions, table: LakeTable, prefix: string, listed: readonly PartitionFile[]): Promise<PartitionReport> {
  const { store, policy } = options;
  const now = options.now ?? Date.now;
  const partition = prefix.slice(prefix.lastIndexOf('/') + 1);
  const steps: string[] = [];
  let state = await readState(store, prefix, listed);
  const before = visibleSize(state);
  let rows: number | undefined;
  const report = (outcome: PartitionReport['outcome'], reason?: string): PartitionReport => {
    const after = visibleSize(state);
    return {
      table: table.name,
      partition,
      steps,
      outcome,
      ...(reason ? { reason } : {}),
      filesBefore: before.files,
      bytesBefore: before.bytes,
      filesAfter: after.files,
      bytesAfter: after.bytes,
      ...(rows !== undefined ? { rows } : {}),
    };
  };
  try {
    // Each step changes the state; a partition needs at most rollback, compact, promote, finish.
    for (let guard = 0; guard < 8; guard++) {
      const step: Step = nextStep(state, policy, now());
      if (step.kind === 'skip') return report(steps.length ? 'done' : 'skipped', steps.length ? undefined : step.reason);
      if (step.kind === 'wait') return report('waiting', `${step.reason}, until ${new Date(step.until).toISOString()}`);
      if (options.dryRun) return report('planned', describe(step));
      steps.push(step.kind);
      switch (step.kind) {
        case 'rollback':
          for (const name of step.delete) await store.delete(`${prefix}/${name}`);
          options.crash?.('rolled-back', prefix);
          break;
        case 'compact':
          rows = await compactGroups(options, table, state, step.groups.map((g) => g.files.map((f) => f.name)), new Date(now()));
          break;
        case 'promote':
          await promote(options, state);
          break;
        case 'finish':
          for (const name of step.delete) await store.delete(`${prefix}/${name}`);
          options.crash?.('staged-deleted', prefix);
          await putMarker(store, prefix, { ...state.marker!, state: 'done', doneAt: new Date(now()).toISOString() });
          break;
      }
      state = await readState(store, prefix);
      if (state.marker?.state === 'done' && step.kind === 'finish') return report('done');
    }
    throw new Error('compaction did not settle after 8 steps');
  } catch (err) {
    return report('failed', (err as Error).message);
  }
}

function describe(step: Step): string {
  switch (step.kind) {
    case 'compact':
      return `merge ${step.groups.map((g) => `${g.files.length} files (${g.bytes} bytes)`).join(', ')}`;
    case 'rollback':
    case 'finish':
      return `${step.kind}: delete ${step.delete.join(', ')}`;
    default:
      return step.kind;
  }
}

/**
 * Reads each group, writes it as one staged file, reads that back and counts, then commits.
 * Returns the rows written.
 */
async function compactGroups(options: CompactOptions, table: LakeTable, state: PartitionState, groups: readonly (readonly string[])[], at: Date): Promise<number> {
  const { store, crash } = options;
  const generation = generationOf(at);
  const staged: string[] = [];
  const final: string[] = [];
  let rows = 0;
  let bytes = 0;
  for (const [i, names] of groups.entries()) {
    const parts: Columns[] = [];
    for (const name of names) {
      const key = `${state.prefix}/${name}`;
      const body = await store.get(key);
      if (!body) throw new Error(`${store.url}/${key} disappeared while compacting (is a sink or another compaction writing this partition?)`);
      parts.push(decodeFile(table, body, `${store.url}/${key}`));
    }
    const merged = concatColumns(table, parts);
    const body = encodeColumns(table, merged, sortOrder(table, merged));
    const name = stagedName(generation, i);
    await store.put(`${state.prefix}/${name}`, body);
    // Read back what S3 or the disk holds now: the commit vouches for these bytes.
    const back = await store.get(`${state.prefix}/${name}`);
    const counted = back ? decodeFile(table, back, `${store.url}/${state.prefix}/${name}`).length : -1;
    if (counted !== merged.length) throw new Error(`${store.url}/${state.prefix}/${name} holds ${counted} rows, its ${names.length} inputs ${merged.length}`);
    staged.push(name);
    final.push(finalName(generation, i));
    rows += merged.length;
    bytes += body.length;
  }
  crash?.('staged', state.prefix);
  const replaced = groups.flat();
  const gone = new Set(replaced);
  const present = new Set(state.files.map((f) => f.name));
  const kept = (state.marker ? markerFiles(state.marker) : []).filter((n) => present.has(n) && !gone.has(n));
  const marker: CompactionMarker = {
    version: 1,
    generation,
    state: 'committed',
    replaced,
    staged,
    final,
    kept,
    rows,
    bytes,
    committedAt: at.toISOString(),
  };
  await putMarker(store, state.prefix, marker);
  crash?.('committed', state.prefix);
  return rows;
}

/** Staged files copied to their final names, replaced files deleted, then the marker says so. */
async function promote(options: CompactOptions, state: PartitionState): Promise<void> {
  const { store, crash } = options;
  const marker = state.marker!;
  for (const [i, name] of marker.staged.entries()) {
    const body = await store.get(`${state.prefix}/${name}`);
    if (!body) throw new Error(`${store.url}/${state.prefix}/${name} (committed, not yet promoted) is missing; the lake was changed by hand`);
    await store.put(`${state.prefix}/${marker.final[i]!}`, body);
  }
  crash?.('copied', state.prefix);
  for (const name of marker.replaced) await store.delete(`${state.prefix}/${name}`);
  crash?.('replaced-deleted', state.prefix);
  await putMarker(store, state.prefix, { ...marker, state: 'promoted', promotedAt: new Date((options.now ?? Date.now)()).toISOString() });
  crash?.('promoted', state.prefix);
}

async function putMarker(store: ObjectStore, prefix: string, marker: CompactionMarker): Promise<void> {
  await store.put(`${prefix}/${MARKER_NAME}`, encodeMarker(marker));
}
