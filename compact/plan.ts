/**
 * What compaction does next with one partition: the planning (which files, in which groups)
 * and the crash-recovery state machine. Pure: the caller lists the partition and reads its
 * marker, this decides, the caller does it (compact/run.ts) and asks again.
 *
 * The state lives in the lake itself (the marker and the file names, compact/marker.ts), so
 * a run that died anywhere leaves a state this function reads and moves on from:
 *
 *   no marker / done ── compact ──▶ staged files written, counted  ── commit ──▶ committed
 *   committed  (grace passed) ── promote: copy staged to final, delete replaced ──▶ promoted
 *   promoted   (grace passed) ── finish: delete staged ──▶ done
 *
 * Before any of that, outputs no marker names (a run that died before its commit, or
 * between a copy and its marker) are rolled back: no reader takes them, so deleting them
 * is always safe.
 */
import { MARKER_NAME, outputOf, visibleFiles, type CompactionMarker } from './marker.js';

export interface PartitionFile {
  /** Name in the partition folder. */
  readonly name: string;
  readonly bytes: number;
  readonly modifiedMs: number;
}

export interface PartitionState {
  /** `raw/ticks/dt=2021-01-04`: the folder, the dt value treated as opaque. */
  readonly prefix: string;
  /** Every object directly in the folder except the marker. */
  readonly files: readonly PartitionFile[];
  readonly marker: CompactionMarker | null;
}

export interface CompactionPolicy {
  /** Largest output file, and largest sum of input bytes merged into one file. */
  readonly targetBytes: number;
  /** A partition is closed when its newest file (compaction outputs aside) is at least this old. */
  readonly minAgeMs: number;
  /** Replaced files outlive the switch by this long (queries planned before it still read them). */
  readonly graceMs: number;
}

/** Input files merged into one output file. */
export interface FileGroup {
  readonly files: readonly PartitionFile[];
  readonly bytes: number;
}

export type Step =
  | { readonly kind: 'rollback'; readonly delete: readonly string[] }
  | { readonly kind: 'compact'; readonly groups: readonly FileGroup[] }
  | { readonly kind: 'promote' }
  | { readonly kind: 'finish'; readonly delete: readonly string[] }
  | { readonly kind: 'wait'; readonly until: number; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string };

/**
 * Greedy, in name order (deterministic; the sink's names sort by Kafka partition and offset):
 * files are added to a group while the group's input bytes stay within the target. A file
 * at or above the target stays as it is, and so does a group of one file: rewriting it
 * alone gains nothing. Output files come out smaller than their inputs' sum (one footer
 * instead of many, better compression of longer runs), so no output exceeds the target.
 */
export function planGroups(files: readonly PartitionFile[], targetBytes: number): FileGroup[] {
  if (!(targetBytes > 0)) throw new Error(`target size must be positive, got ${targetBytes}`);
  const groups: FileGroup[] = [];
  let current: PartitionFile[] = [];
  let bytes = 0;
  const close = (): void => {
    if (current.length > 1) groups.push({ files: current, bytes });
    current = [];
    bytes = 0;
  };
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (f.bytes >= targetBytes) continue;
    if (bytes + f.bytes > targetBytes) close();
    current.push(f);
    bytes += f.bytes;
  }
  close();
  return groups;
}

/** The next thing to do with a partition at time `now` (epoch ms). */
export function nextStep(state: PartitionState, policy: CompactionPolicy, now: number): Step {
  const { marker } = state;
  const names = state.files.map((f) => f.name).filter((n) => n !== MARKER_NAME);
  const named = new Set([...(marker?.staged ?? []), ...(marker?.final ?? []), ...(marker?.kept ?? []), ...(marker?.replaced ?? [])]);
  const orphans = names.filter((n) => outputOf(n) !== null && !named.has(n));
  if (orphans.length > 0) return { kind: 'rollback', delete: orphans.sort() };

  if (marker?.state === 'committed') {
    const until = Date.parse(marker.committedAt) + policy.graceMs;
    return now >= until ? { kind: 'promote' } : { kind: 'wait', until, reason: 'replaced files are kept for the grace period' };
  }
  if (marker?.state === 'promoted') {
    const until = Date.parse(marker.promotedAt ?? marker.committedAt) + policy.graceMs;
    if (now < until) return { kind: 'wait', until, reason: 'staged files are kept for the grace period' };
    const present = new Set(names);
    return { kind: 'finish', delete: [...marker.staged, ...marker.replaced].filter((n) => present.has(n)) };
  }
  if (marker?.state === 'done') {
    // The finish step deletes staged files before it writes `done`; one present now was put
    // back by someone else, and no reader takes it.
    const leftover = marker.staged.filter((n) => names.includes(n));
    if (leftover.length > 0) return { kind: 'rollback', delete: leftover };
  }

  const visible = new Set(visibleFiles(names, marker));
  const candidates = state.files.filter((f) => visible.has(f.name));
  if (candidates.length === 0) return { kind: 'skip', reason: 'no files' };
  // The sink's files say whether the partition is still written; compaction's own outputs
  // are new whenever it ran, and say nothing about that.
  const newest = Math.max(-Infinity, ...state.files.filter((f) => f.name.endsWith('.parquet') && !outputOf(f.name)).map((f) => f.modifiedMs));
  if (now - newest < policy.minAgeMs) {
    return { kind: 'skip', reason: `open: newest file is ${formatAge(now - newest)} old, under the minimum age ${formatAge(policy.minAgeMs)}` };
  }
  const groups = planGroups(candidates, policy.targetBytes);
  if (groups.length === 0) return { kind: 'skip', reason: candidates.length === 1 ? 'one file already' : 'every file at or near the target size' };
  return { kind: 'compact', groups };
}

function formatAge(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${Math.round(ms / 1000)} s`;
}
