/**
 * What the demo prints: the checks of the lake (and the dashboard) against the file, and
 * the output of the CLI commands it runs for the reader.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI_ENTRY } from '../local/service-process.js';
import type { LakeCheck } from './check.js';
import { compareDaily, type DailyBar } from './days.js';

const execFileAsync = promisify(execFile);

/** Prints one line of the demo's output. */
export type Say = (line: string) => void;

/** Prints what was checked; false when the lake or the dashboard disagrees with the file. */
export function reportChecks(checked: LakeCheck, dashboardLastDay: readonly DailyBar[] | null, expected: readonly DailyBar[], say: Say): boolean {
  let ok = true;
  const { daily } = checked;
  if (daily.differences.length === 0) {
    say(`check: the lake's daily bars equal the file's for all ${daily.expected} replayed bars (open, high, low, close, volume)`);
  } else {
    ok = false;
    say(`check FAILED: ${daily.matched} of ${daily.expected} daily bars in the lake equal the file's; differences:`);
    for (const d of daily.differences.slice(0, 20)) say(`  ${d}`);
  }
  say(
    `check: ${fmt(checked.ticks)} ticks, ${fmt(checked.earlyTicks)} early (event time after Kafka's time), ` +
      `${fmt(checked.outOfOrder)} out of order, ${fmt(checked.redelivered)} redelivered` +
      ' (late_ticks counts every tick: these are past days, sent to Kafka now)',
  );
  if (checked.earlyTicks > 0 || checked.outOfOrder > 0 || checked.redelivered > 0) ok = false;
  if (dashboardLastDay) {
    const lastDay = expected.reduce((d, b) => (b.day > d ? b.day : d), '');
    const lastBars = expected.filter((b) => b.day === lastDay);
    const vsDashboard = compareDaily(lastBars, dashboardLastDay);
    if (vsDashboard.differences.length === 0) {
      say(`check: the dashboard's candles of ${lastDay} add up to the same daily bars, for all ${lastBars.length} symbols`);
    } else {
      ok = false;
      say(`check FAILED: the dashboard's candles of ${lastDay} differ: ${vsDashboard.differences.slice(0, 5).join('; ')}`);
    }
  }
  return ok;
}

/** Runs `tickstream <args>` and prints the command and (the first lines of) its output. */
export async function printCommand(args: string[], say: Say, maxLines = 40): Promise<void> {
  say(`$ tickstream ${args.join(' ')}`);
  try {
    const { stdout } = await execFileAsync(process.execPath, [CLI_ENTRY, ...args], { maxBuffer: 16 * 1024 * 1024 });
    const lines = stdout.trimEnd().split('\n');
    for (const l of lines.slice(0, maxLines)) say(`  ${l}`);
    if (lines.length > maxLines) say(`  ... (${lines.length - maxLines} more lines)`);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    say(`  failed: ${(e.stderr ?? e.message).trim()}`);
  }
  say('');
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
