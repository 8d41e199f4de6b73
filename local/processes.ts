/**
 * Starting and stopping the stack's JVMs, and telling whether a recorded pid is still one
 * of ours. Processes are started detached (their own process group) with output to a log
 * file, so they outlive the `stack up` command and a Ctrl-C in the terminal does not reach
 * them; `stack down` stops them by pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { waitFor } from '../lib/async.js';

export interface JavaInfo {
  readonly command: string;
  readonly major: number;
  readonly versionLine: string;
}

/** Finds java ($JAVA_HOME/bin/java, else PATH) and checks it is at least `minMajor`. */
export function findJava(minMajor = 17, env: NodeJS.ProcessEnv = process.env): JavaInfo {
  const command = env.JAVA_HOME ? `${env.JAVA_HOME}/bin/java` : 'java';
  // `java -version` prints on standard error.
  const result = spawnSync(command, ['-version'], { encoding: 'utf8' });
  const out = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  if (result.error || !/version/.test(out)) {
    throw new Error(
      `cannot run ${command} (${result.error?.message ?? out.trim()}). Kafka needs a JDK ${minMajor}+: ` +
        'install one (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME.',
    );
  }
  const versionLine = out.split('\n')[0] ?? '';
  const major = parseJavaMajor(versionLine);
  if (major < minMajor) {
    throw new Error(`${command} is Java ${major} (${versionLine}); Kafka needs Java ${minMajor}+. Set JAVA_HOME to a newer JDK.`);
  }
  return { command, major, versionLine };
}

/** `openjdk version "17.0.15" 2025-04-15` -> 17; `java version "1.8.0_392"` -> 8. */
export function parseJavaMajor(versionLine: string): number {
  const m = /version "([^"]+)"/.exec(versionLine);
  if (!m?.[1]) throw new Error(`cannot read a Java version from: ${versionLine}`);
  const parts = m[1].split(/[.+-]/);
  const first = Number(parts[0]);
  return first === 1 ? Number(parts[1]) : first;
}

export interface StartedProcess {
  readonly pid: number;
}

/** Starts `command args` detached, with stdout and stderr appended to `logFile`. */
export function startDetached(command: string, args: readonly string[], logFile: string, cwd: string): StartedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, [...args], { cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return { pid: child.pid };
  } finally {
    closeSync(fd);
  }
}

/**
 * True when `pid` runs and its command line contains `marker` (the path of its config
 * file). The marker check keeps a recycled pid from being mistaken for our broker, and so
 * keeps `stack down` from signalling someone else's process.
 */
export function isOurProcess(pid: number | null | undefined, marker: string): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdlinePath = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true; // no procfs (macOS): trust the pid
  try {
    const cmdline = readFileSync(cmdlinePath, 'utf8').split('\0').join(' ');
    return cmdline.includes(marker);
  } catch {
    return false;
  }
}

/**
 * Stops a process gracefully: SIGTERM (a broker then does a controlled shutdown and hands
 * over leadership), then SIGKILL after `graceMs`. Resolves once it is gone.
 */
export async function stopProcess(pid: number, marker: string, graceMs = 30_000): Promise<'stopped' | 'killed' | 'absent'> {
  if (!isOurProcess(pid, marker)) return 'absent';
  signal(pid, 'SIGTERM');
  if (await waitFor(() => !isOurProcess(pid, marker), graceMs)) return 'stopped';
  signal(pid, 'SIGKILL');
  await waitFor(() => !isOurProcess(pid, marker), 10_000);
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Resolves when `port` on `host` can be bound, rejects with an error naming the port otherwise. */
export function assertPortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is already in use on ${host}; stop what holds it or choose other ports (--port, --zookeeper-port, --controller-port)`
            : `cannot bind port ${port} (${what}) on ${host}: ${err.message}`,
        ),
      );
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Last `lines` lines of a text file, or a note that it does not exist. */
export function tailFile(path: string, lines = 30): string {
  if (!existsSync(path)) return `(no ${path})`;
  const text = readFileSync(path, 'utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Size of a file in bytes (0 when it does not exist): where the next appended line starts. */
export function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/**
 * The text appended to a file after its first `offset` bytes. Logs are appended to across
 * starts, so this is how one start attempt's lines are told from an earlier one's.
 */
export function readFrom(path: string, offset: number): string {
  const size = fileSize(path);
  if (size <= offset) return '';
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}
