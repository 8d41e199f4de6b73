/**
 * Logging: pino, JSON lines on standard error by default so that standard output stays
 * free for command results (tables, CSV) and systemd's journal receives both streams.
 * `pretty` turns each record into one short human line for people watching a terminal.
 */
import { Writable } from 'node:stream';
import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogConfig } from './settings.js';

export type { Logger } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export function createLogger(name: string, config: LogConfig, destination?: DestinationStream): Logger {
  const out = destination ?? (config.pretty ? prettyStream(process.stderr) : pino.destination({ fd: 2, sync: true }));
  return pino({ name, level: config.level, base: { pid: process.pid, name } }, out);
}

/** Formats one pino JSON record as `12:00:01 INFO  name: message key=value ...`. */
export function formatPrettyLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, name, msg, pid: _pid, hostname: _host, ...rest } = rec;
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '--:--:--';
  const lvl = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${clock} ${lvl} ${String(name ?? '')}: ${String(msg ?? '')}${extra ? ' ' + extra : ''}`;
}

function prettyStream(target: NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) target.write(formatPrettyLine(line) + '\n');
      }
      done();
    },
  });
}
