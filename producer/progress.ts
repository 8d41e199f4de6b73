/**
 * Progress while a run goes: on a terminal, one line rewritten in place (rows read, ticks
 * sent and acknowledged, rate, dead letters, failures, queue, percent of the file);
 * elsewhere (systemd, CI, a pipe) a JSON log record every few seconds with the same
 * numbers. The formatting is pure; `ProgressReporter` only owns the timer.
 */
import type { Logger } from '../lib/logger.js';

export interface ProgressSnapshot {
  readonly rows?: number;
  readonly bytesRead?: number;
  readonly totalBytes?: number;
  readonly ticksProduced: number;
  readonly ticksDelivered: number;
  readonly deadLetters: number;
  readonly failed: number;
  readonly queued: number;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

export function formatProgressLine(s: ProgressSnapshot, ratePerSec: number): string {
  const parts: string[] = [];
  if (s.rows !== undefined) parts.push(`rows ${n(s.rows)}`);
  parts.push(`ticks ${n(s.ticksProduced)} sent, ${n(s.ticksDelivered)} acked`, `${n(ratePerSec)}/s`, `dlq ${n(s.deadLetters)}`);
  if (s.failed > 0) parts.push(`FAILED ${n(s.failed)}`);
  parts.push(`queue ${n(s.queued)}`);
  if (s.totalBytes && s.bytesRead !== undefined) parts.push(`${Math.min(100, Math.floor((100 * s.bytesRead) / s.totalBytes))}%`);
  return parts.join(' | ');
}

export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private lastProduced = 0;
  private lastAt = 0;
  private drawn = false;

  constructor(
    private readonly mode: 'bar' | 'log' | 'off',
    private readonly snapshot: () => ProgressSnapshot,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  start(): void {
    if (this.mode === 'off') return;
    this.lastAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.mode === 'bar' ? 250 : this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and clears the terminal line so the summary starts on a clean one. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  /** Temporarily removes the bar (before a log line is written under it). */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private tick(): void {
    const s = this.snapshot();
    const now = Date.now();
    const rate = now > this.lastAt ? ((s.ticksProduced - this.lastProduced) * 1000) / (now - this.lastAt) : 0;
    this.lastProduced = s.ticksProduced;
    this.lastAt = now;
    if (this.mode === 'bar') {
      this.out.write(`\r${formatProgressLine(s, rate)}\x1b[K`);
      this.drawn = true;
    } else {
      this.logger.info({ ...s, ticksPerSecond: Math.round(rate) }, 'progress');
    }
  }
}
