/**
 * A tickstream service (producer, sink) run as a child process, the way systemd runs it on
 * a host: its own process, its own log file, stopped with SIGTERM so it can flush and
 * commit. The demo uses this to run the real services rather than in-process copies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceNodeFlags } from '../lib/service-node-flags.js';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_ENTRY = join(PROJECT_ROOT, 'bin', 'tickstream.js');

export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exitPromise: Promise<ServiceExit> | null = null;

  constructor(
    readonly name: string,
    /** Arguments after `tickstream`, e.g. `['sink', '--lake', './lake']`. */
    readonly args: readonly string[],
    readonly logFile: string,
    readonly env: NodeJS.ProcessEnv = {},
  ) {}

  start(): void {
    const fd = openSync(this.logFile, 'a');
    try {
      const child = spawn(process.execPath, [...serviceNodeFlags(this.args[0]), CLI_ENTRY, ...this.args], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...this.env },
        // Not detached: if the demo dies, the terminal's Ctrl-C still reaches the services.
        stdio: ['ignore', fd, fd],
      });
      this.child = child;
      this.exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the process exits on its own. */
  exited(): Promise<ServiceExit> {
    if (!this.exitPromise) throw new Error(`${this.name} was not started`);
    return this.exitPromise;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 60_000): Promise<ServiceExit | null> {
    if (!this.child || !this.exitPromise) return null;
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }
}
