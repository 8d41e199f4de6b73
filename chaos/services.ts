/**
 * The processes a chaos run drives besides Kafka: the project's sink and producer, run
 * through the `tickstream` command as on a host (local/service-process.ts), which a fault
 * may SIGKILL, SIGSTOP or restart. A lock per process keeps two faults from handling the
 * same one at once (a sink kill while the S3 outage has that sink frozen).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileSize, readFrom } from '../local/processes.js';
import { ServiceProcess } from '../local/service-process.js';

/** Runs one async job at a time, in call order. */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const children = new Set<ServiceProcess>();
// A chaos run that dies leaves no sink or producer behind.
process.once('exit', () => {
  for (const c of children) if (c.pid && c.running) process.kill(c.pid, 'SIGKILL');
});

/** A service the faults may kill, freeze and restart; `intended` tells its deaths from crashes. */
export class Service {
  readonly lock = new Lock();
  readonly proc: ServiceProcess;
  starts = 0;
  /** Exits nobody caused (found by `watch`). */
  unexpectedExits = 0;
  private expectingExit = false;
  /** Where this start's lines begin in the log file (it is appended to across starts). */
  private logStart = 0;
  private watcher: NodeJS.Timeout | null = null;

  constructor(name: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv) {
    this.proc = new ServiceProcess(name, args, logFile, env);
    children.add(this.proc);
  }

  get name(): string {
    return this.proc.name;
  }

  start(): void {
    this.expectingExit = false;
    this.logStart = fileSize(this.proc.logFile);
    this.proc.start();
    this.starts += 1;
  }

  /** SIGKILL, and resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.proc.running || !this.proc.pid) return;
    this.expectingExit = true;
    process.kill(this.proc.pid, 'SIGKILL');
    await this.proc.exited();
  }

  /**
   * Until this start's log has a line containing `text` (true), or `timeoutMs` passed or the
   * process exited (false).
   */
  async waitForLog(text: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (readFrom(this.proc.logFile, this.logStart).includes(text)) return true;
      if (Date.now() > deadline || !this.proc.running) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  freeze(): void {
    if (this.proc.pid && this.proc.running) process.kill(this.proc.pid, 'SIGSTOP');
  }

  thaw(): void {
    if (this.proc.pid && this.proc.running) process.kill(this.proc.pid, 'SIGCONT');
  }

  /** SIGTERM (the service finishes and commits), SIGKILL after `graceMs`; the exit code. */
  async stop(graceMs: number): Promise<number | null> {
    this.unwatch();
    this.expectingExit = true;
    this.thaw();
    const exit = await this.proc.stop(graceMs);
    return exit?.code ?? null;
  }

  /**
   * Every `everyMs`, restarts the process when it died without a fault killing it (counted
   * in `unexpectedExits` and reported by `onCrash`): a crash is a finding, and the run goes on.
   */
  watch(everyMs: number, onCrash: (message: string) => void): void {
    this.watcher = setInterval(() => {
      if (this.proc.running || this.expectingExit) return;
      void this.lock.run(async () => {
        if (this.proc.running || this.expectingExit) return;
        this.unexpectedExits += 1;
        onCrash(`${this.name} exited on its own; restarting it. Last lines of ${this.proc.logFile}:\n${tail(this.proc.logFile, 8)}`);
        this.start();
      });
    }, everyMs);
  }

  unwatch(): void {
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = null;
  }
}

export function tail(file: string, lines: number): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The last JSON object line of a file that has `key` (the producer's `--json` summary in its log). */
export function lastJsonWith(file: string, key: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{') || !line.includes(`"${key}"`)) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // a log line cut short: look further up
    }
  }
  return null;
}
