/**
 * The compaction marker: `<table>/dt=<value>/_compaction.json`, one per compacted partition,
 * and the rule by which a reader picks a partition's files with it. Pure: no I/O here.
 *
 * A compaction of a partition P writes its new files in two names:
 *   staged  `P/_compacted-<generation>-<n>.parquet`  hidden (leading `_`) from every engine
 *                                                     that lists folders (Athena, Trino/Hive);
 *   final   `P/compacted-<generation>-<n>.parquet`   an ordinary file of the partition.
 * The marker says which files the generation replaced and which of its files readers take:
 *   state `committed`  files = staged   (the switch for marker-aware readers: one PUT)
 *   state `promoted`   files = final    (staged copied to final, replaced files deleted)
 *   state `done`       files = final    (staged files deleted; nothing left to do)
 *
 * A marker-aware reader (the local catalog, the DuckDB views) reads of P's `.parquet` files:
 *   - the marker's files (staged or final by state, and `kept`), and
 *   - every other file that is not hidden, not a compaction output and not `replaced`
 *     (late files the sink wrote after the compaction).
 * So a staged or final file that no committed marker names (a crashed compaction's
 * leftovers) is never read, and a replaced file is never read once the marker is there.
 * See docs/compaction.md for the steps and what engines that ignore the marker see.
 */

export const MARKER_NAME = '_compaction.json';

export type MarkerState = 'committed' | 'promoted' | 'done';

export interface CompactionMarker {
  readonly version: 1;
  /** Sortable id of this compaction, e.g. `20261205T073000123Z`. */
  readonly generation: string;
  readonly state: MarkerState;
  /** File names (in the partition folder) this generation replaced. */
  readonly replaced: readonly string[];
  /** Staged names of the new files, in order. */
  readonly staged: readonly string[];
  /** Final names of the same files, in the same order. */
  readonly final: readonly string[];
  /**
   * Outputs of earlier generations this one left as they were (at the target size already):
   * still the partition's files. Without them here they would look like a crashed run's
   * leftovers.
   */
  readonly kept: readonly string[];
  /** Rows in the new files (= rows in the replaced files: checked before the commit). */
  readonly rows: number;
  readonly bytes: number;
  readonly committedAt: string;
  readonly promotedAt?: string;
  readonly doneAt?: string;
}

const OUTPUT = /^(_?)compacted-(\d{8}T\d{9}Z)-(\d{5})\.parquet$/;

/** A generation id from a time: sortable, and safe in a file name. */
export function generationOf(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, '');
}

export function stagedName(generation: string, index: number): string {
  return `_${finalName(generation, index)}`;
}

export function finalName(generation: string, index: number): string {
  return `compacted-${generation}-${String(index).padStart(5, '0')}.parquet`;
}

/** Whether a file name is a compaction output (staged or final), and of which generation. */
export function outputOf(name: string): { staged: boolean; generation: string } | null {
  const m = OUTPUT.exec(name);
  return m ? { staged: m[1] === '_', generation: m[2]! } : null;
}

/** The compaction outputs readers take in the marker's state. */
export function markerFiles(marker: CompactionMarker): readonly string[] {
  return [...(marker.state === 'committed' ? marker.staged : marker.final), ...marker.kept];
}

/**
 * The Parquet files of one partition a reader takes: `names` are the file names in the
 * partition folder (no sub-folders), `marker` its marker or null. Order: the marker's files,
 * then the others by name.
 */
export function visibleFiles(names: readonly string[], marker: CompactionMarker | null): string[] {
  const present = new Set(names);
  const fromMarker = marker ? markerFiles(marker).filter((n) => present.has(n)) : [];
  const skip = new Set([...(marker?.replaced ?? []), ...fromMarker]);
  const others = names
    .filter((n) => n.endsWith('.parquet') && !n.startsWith('_') && !n.startsWith('.') && !outputOf(n) && !skip.has(n))
    .sort();
  return [...fromMarker, ...others];
}

export function encodeMarker(marker: CompactionMarker): Uint8Array {
  return Buffer.from(`${JSON.stringify(marker, null, 2)}\n`, 'utf8');
}

/** Parses a marker; anything else is an error naming `where`, never a guess. */
export function decodeMarker(bytes: Uint8Array, where: string): CompactionMarker {
  let v: Partial<CompactionMarker>;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<CompactionMarker>;
  } catch (err) {
    throw new Error(`${where} is not valid JSON (${(err as Error).message}); a compaction marker is written whole, so something else wrote it`);
  }
  const names = (x: unknown): x is string[] => Array.isArray(x) && x.every((n) => typeof n === 'string' && !n.includes('/'));
  if (
    v.version !== 1 ||
    typeof v.generation !== 'string' ||
    !['committed', 'promoted', 'done'].includes(v.state as string) ||
    !names(v.replaced) ||
    !names(v.staged) ||
    !names(v.final) ||
    !names(v.kept) ||
    v.staged.length !== v.final.length ||
    typeof v.rows !== 'number' ||
    typeof v.committedAt !== 'string'
  ) {
    throw new Error(`${where} is not a tickstream compaction marker (version 1)`);
  }
  return v as CompactionMarker;
}
