/**
 * The first part of a CSV file, as records with their line numbers: what detection
 * (producer/sources/detect.ts) infers the delimiter, decimal mark and date format from. Only
 * the head is read, so a multi-gigabyte file costs the same as a small one; the whole file is
 * read later by the replay or by `--check`, which report every row that does not fit.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { sniffBom, type BomKind } from './bom.js';
import { RecordSplitter, type CsvRecord } from './records.js';

/** Bytes read at most: enough for thousands of daily rows, whatever the file size. */
export const HEAD_BYTES = 1 << 20;

export interface HeadSample {
  /** Records in file order, the header first; blank ones included (detection skips them). */
  readonly records: readonly CsvRecord[];
  readonly bom: BomKind;
  /** True when the file goes on after the sample. */
  readonly partial: boolean;
}

/** Splits the text of a head; a last record cut by the sample boundary is dropped. */
export function headRecords(text: string, partial: boolean): CsvRecord[] {
  const splitter = new RecordSplitter();
  const records = splitter.push(text);
  if (!partial) records.push(...splitter.end());
  return records;
}

/** Reads the first `maxBytes` of a file. Throws with the file name when it cannot be read. */
export function readHead(file: string, maxBytes: number = HEAD_BYTES): HeadSample {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    // One byte more than the sample tells whether the file goes on.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    const partial = length > maxBytes;
    const bytes = buffer.subarray(0, Math.min(length, maxBytes));
    const { kind, skip } = sniffBom(bytes.subarray(0, 8));
    // A multi-byte character cut at the end decodes to U+FFFD in the dropped last record only.
    const text = bytes.subarray(skip).toString('utf8');
    return { records: headRecords(text, partial), bom: kind, partial };
  } finally {
    closeSync(fd);
  }
}
