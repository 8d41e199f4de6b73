/**
 * Rejected rows grouped by the kind of their reason (producer/sources/reasons.ts): how many,
 * the first line numbers, one reason as written, and the hint. `--check` and a real run's
 * summary print the same groups; workers' groups add up. Also the verdict on a file from its
 * counts: nothing publishable (the run fails), or more rejected than a set share (a warning,
 * a failure under producer.strict). Pure.
 */
import { reasonKind } from './sources/reasons.js';

/** Line numbers kept per group. */
export const FIRST_LINES = 5;

export interface RejectGroup {
  readonly kind: string;
  readonly label: string;
  readonly count: number;
  /** The first line numbers, ascending, at most FIRST_LINES. */
  readonly firstLines: readonly number[];
  /** The reason of the first row, as written in its dead letter. */
  readonly example: string;
  readonly hint: string;
}

type MutableGroup = { -readonly [K in keyof RejectGroup]: RejectGroup[K] } & { firstLines: number[] };

export class RejectTally {
  private readonly groups = new Map<string, MutableGroup>();
  total = 0;

  add(line: number, reason: string): void {
    this.total += 1;
    const kind = reasonKind(reason);
    let g = this.groups.get(kind.id);
    if (!g) {
      g = { kind: kind.id, label: kind.label, count: 0, firstLines: [], example: reason, hint: kind.hint };
      this.groups.set(kind.id, g);
    }
    g.count += 1;
    if (g.firstLines.length < FIRST_LINES) g.firstLines.push(line);
  }

  /** Largest group first. */
  list(): RejectGroup[] {
    return sortGroups([...this.groups.values()].map((g) => ({ ...g, firstLines: [...g.firstLines].sort((a, b) => a - b) })));
  }
}

function sortGroups(groups: RejectGroup[]): RejectGroup[] {
  return groups.sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
}

/** Groups of several workers (each rejected row is reported by one of them) as one list. */
export function mergeRejectGroups(parts: ReadonlyArray<readonly RejectGroup[]>): RejectGroup[] {
  const byKind = new Map<string, RejectGroup>();
  for (const groups of parts) {
    for (const g of groups) {
      const seen = byKind.get(g.kind);
      if (!seen) {
        byKind.set(g.kind, g);
        continue;
      }
      const first = seen.firstLines[0]! <= g.firstLines[0]! ? seen : g;
      byKind.set(g.kind, {
        ...first,
        count: seen.count + g.count,
        firstLines: [...seen.firstLines, ...g.firstLines].sort((a, b) => a - b).slice(0, FIRST_LINES),
      });
    }
  }
  return sortGroups([...byKind.values()]);
}

const n = (x: number): string => x.toLocaleString('en-US');

/** Lines for a terminal: one head line per group, then its example and hint. */
export function formatRejectGroups(groups: readonly RejectGroup[], indent = '  '): string[] {
  const out: string[] = [];
  for (const g of groups) {
    out.push(`${indent}${n(g.count)} x ${g.label}: lines ${g.firstLines.join(', ')}${g.count > g.firstLines.length ? ', ...' : ''}`);
    out.push(`${indent}    e.g. ${g.example}`);
    out.push(`${indent}    hint: ${g.hint}`);
  }
  return out;
}

export interface Verdict {
  /** At least one row became a bar. */
  readonly publishable: boolean;
  readonly rejectedRows: number;
  /** Of the data rows, 0..100, one decimal. */
  readonly rejectedPercent: number;
  /** More than the allowed share was rejected. */
  readonly overShare: boolean;
  /** 0, or 1 when nothing is publishable or (strict) too much was rejected. */
  readonly exitCode: 0 | 1;
  /** What went wrong and what to do, when anything did. */
  readonly message?: string;
}

export interface VerdictInput {
  /** Data rows of the file (header and blank lines excluded). */
  readonly rows: number;
  /** Rows that became bars. */
  readonly bars: number;
  readonly groups: readonly RejectGroup[];
  readonly maxRejectedPercent: number;
  readonly strict: boolean;
}

export function judge(input: VerdictInput): Verdict {
  const { rows, bars, groups } = input;
  const rejectedRows = Math.max(0, rows - bars);
  const rejectedPercent = rows > 0 ? Math.round((rejectedRows / rows) * 1000) / 10 : 0;
  const overShare = rejectedPercent > input.maxRejectedPercent;
  const top = groups[0];
  const most = top ? `, most as "${top.label}" (${n(top.count)}, first at line ${top.firstLines[0]}): ${top.hint}` : '';
  if (bars === 0) {
    const message = rows === 0 ? 'nothing to publish: the file has no data rows' : `nothing to publish: all ${n(rows)} rows were rejected${most}`;
    return { publishable: false, rejectedRows, rejectedPercent, overShare, exitCode: 1, message };
  }
  if (overShare) {
    const message =
      `${rejectedPercent}% of the rows (${n(rejectedRows)} of ${n(rows)}) were rejected, more than the ${input.maxRejectedPercent}% allowed ` +
      `(producer.maxRejectedPercent)${most}` +
      (input.strict ? '' : '; with --strict this fails the run');
    return { publishable: true, rejectedRows, rejectedPercent, overShare, exitCode: input.strict ? 1 : 0, message };
  }
  return { publishable: true, rejectedRows, rejectedPercent, overShare, exitCode: 0 };
}
