/**
 * The docs' settings tables, generated from the config specs, so that a variable, its key,
 * its default and its meaning are written once (where the setting is defined) and every
 * table shows them as the code has them. `npm run docs:settings` rewrites the tables between
 * the markers below; a unit test fails when a table and its spec differ.
 *
 *   <!-- settings:NAME -->
 *   ...generated table...
 *   <!-- /settings:NAME -->
 *
 * Pure: the caller reads and writes the files.
 */
import { homedir } from 'node:os';
import type { ConfigSpec, Setting } from './config.js';

/** One generated table: which sections of which spec, in which doc. */
export interface SettingsTable {
  readonly name: string;
  readonly doc: string;
  readonly spec: ConfigSpec;
  /** Sections of the spec the table lists, in this order (all of them when absent). */
  readonly sections?: readonly string[];
}

/** A default as the docs write it: `unset`, `empty`, or the value in backticks; the home folder as `~`. */
export function formatDefault(s: Setting<unknown>): string {
  const d = s.default;
  if (d === undefined) return 'unset';
  if (s.secret) return '(hidden)';
  if (Array.isArray(d)) return d.length === 0 ? 'none' : `\`${d.join(',')}\``;
  if (d === '') return 'empty';
  const text = String(d);
  const home = homedir();
  return `\`${home && text.startsWith(home) ? `~${text.slice(home.length)}` : text}\``;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The markdown table of a spec's settings: variable, key, default, meaning. */
export function settingsTable(spec: ConfigSpec, sections: readonly string[] = Object.keys(spec)): string {
  const rows = ['| variable | key | default | meaning |', '|---|---|---|---|'];
  for (const section of sections) {
    const settings = spec[section];
    if (!settings) throw new Error(`no section ${section} in the spec`);
    for (const [key, s] of Object.entries(settings)) {
      rows.push(`| \`${s.env}\` | \`${section}.${key}\` | ${cell(formatDefault(s))} | ${cell(s.doc)} |`);
    }
  }
  return rows.join('\n');
}

const open = (name: string): string => `<!-- settings:${name} -->`;
const close = (name: string): string => `<!-- /settings:${name} -->`;

/** The doc text with the table between its markers replaced; throws when the markers are missing. */
export function withTable(docText: string, table: SettingsTable): string {
  const start = docText.indexOf(open(table.name));
  const end = docText.indexOf(close(table.name));
  if (start < 0 || end < start) throw new Error(`${table.doc} has no ${open(table.name)} ... ${close(table.name)} markers`);
  const body = settingsTable(table.spec, table.sections);
  return `${docText.slice(0, start)}${open(table.name)}\n${body}\n${docText.slice(end)}`;
}
