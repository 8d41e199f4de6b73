/**
 * Fields of one CSV record, parsed by fast-csv's own parser (the engine behind its
 * streams), one record at a time so that a malformed record throws for itself alone.
 * The record boundaries come from `records.ts`.
 */
// fast-csv exports this engine only from its build folder; @fast-csv/parse is a direct
// dependency pinned in package.json, so the path is stable for that version.
import { Parser } from '@fast-csv/parse/build/src/parser/index.js';
import { ParserOptions } from '@fast-csv/parse';

export type FieldParser = (record: string) => string[];

export function fieldParser(delimiter: string): FieldParser {
  const parser = new Parser(new ParserOptions({ delimiter, quote: '"', escape: '"', ignoreEmpty: false }));
  return (record) => {
    if (record.length === 0) return [];
    // A bare carriage return inside a record would make fast-csv see two rows.
    const { rows } = parser.parse(record, false);
    if (rows.length !== 1) throw new Error(`expected one row, found ${rows.length} (a bare carriage return in the line?)`);
    return rows[0] as string[];
  };
}
