/**
 * Helpers every subcommand uses: turning flags into config overrides, running an action
 * with uniform error handling (bad config exits 2 with the message naming the key; any
 * other failure exits 1 with its message), and printing aligned tables.
 */
import { Option, type Command } from 'commander';
import { ConfigError, describeDefault, settingOf, type ConfigOverrides, type ConfigSpec } from './config.js';

/** Maps commander option names to config keys: `{ brokers: 'stack.brokers' }`. */
export function overridesFrom(options: Record<string, unknown>, mapping: Record<string, string>): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const [option, key] of Object.entries(mapping)) {
    if (options[option] !== undefined) out[key] = options[option];
  }
  return out;
}

/**
 * The help of a flag that sets `path` (`section.key`) of `spec`: `text` (the setting's own
 * doc when absent), then its variable and default as the spec has them, so that no help
 * string restates a default by hand.
 */
export function flagHelp(spec: ConfigSpec, path: string, text?: string): string {
  const s = settingOf(spec, path);
  return `${text ?? s.doc} [${s.env}, default ${describeDefault(s)}]`;
}

/** A flag that sets a setting: its commander flags, the setting's `section.key`, and the help text (the setting's doc when absent). */
export type SettingFlag = readonly [flags: string, key: string, text?: string];

/**
 * Declares one option per setting flag on `cmd`, its help from `flagHelp`, and returns the
 * option-to-key mapping `overridesFrom` takes: the flag table is the only list of a
 * command's setting flags.
 */
export function settingFlags(cmd: Command, spec: ConfigSpec, flags: readonly SettingFlag[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const [names, key, text] of flags) {
    const option = new Option(names, flagHelp(spec, key, text));
    cmd.addOption(option);
    mapping[option.attributeName()] = key;
  }
  return mapping;
}

export const EXIT_CONFIG = 2;

/** Wraps an async commander action: prints errors as one readable message, sets the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void | number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`tickstream: ${err.message}\n`);
        process.exitCode = EXIT_CONFIG;
        return;
      }
      const e = err as Error;
      process.stderr.write(`tickstream: ${e.message}\n`);
      if (process.env.TICKSTREAM_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exitCode = 1;
    }
  };
}

/** Left-aligned columns, numbers right-aligned, a dashed rule under the header. */
export function formatTable(rows: ReadonlyArray<Record<string, unknown>>, columns?: readonly string[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const numeric = cols.map((c) => rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const line = (values: string[]): string =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line([...cols]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}
