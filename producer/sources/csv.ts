/**
 * CSV replay, streamed: a file of daily bars read chunk by chunk (never whole), its
 * byte-order mark removed, its records split with their line numbers, each record's fields
 * parsed by fast-csv and checked as a bar. Yields, per chunk, the bars and the rejected
 * rows (with line, reason and raw text, for the dead-letter topic) in file order.
 *
 * The stream is pulled: while the caller is busy (Kafka's queue is full) nothing more is
 * read, so memory stays flat whatever the file size.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { checkBarRow, truncationReason, type Bar, type RowContext } from './bars.js';
import { BOM_SNIFF_BYTES, sniffBom, type BomKind } from './bom.js';
import { describeMap, mapColumns, type ColumnMap } from './columns.js';
import { dateParser } from './dates.js';
import { fieldParser } from './fields.js';
import { RecordSplitter, type CsvRecord } from './records.js';

export interface CsvOptions {
  readonly file: string;
  readonly map?: Readonly<Record<string, string>>;
  readonly symbol?: string;
  /** A format of dates.ts (not `auto`: detection resolves it first, producer/sources/detect.ts). */
  readonly dateFormat: string;
  readonly delimiter: string;
  /** Decimal mark of the numbers; default `.`. */
  readonly decimal?: '.' | ',';
  /** Bytes per read; small values exercise chunk boundaries in tests. */
  readonly chunkBytes?: number;
}

export type CsvEvent =
  | { readonly kind: 'bar'; readonly bar: Bar; readonly line: number; readonly raw: string }
  | { readonly kind: 'reject'; readonly line: number; readonly reason: string; readonly raw: string; readonly symbol?: string };

/** What the header told: for the log line and the summary. */
export interface CsvHeader {
  readonly columns: ColumnMap;
  readonly names: readonly string[];
  readonly mapping: string;
  readonly bom: BomKind;
  /** Symbol used for every row when the file has no symbol column. */
  readonly fixedSymbol?: string;
}

export interface CsvProgress {
  bytesRead: number;
  readonly totalBytes: number;
  /** Data records read (not the header, not blank lines). */
  rows: number;
  blankLines: number;
}

export class CsvSource {
  header: CsvHeader | null = null;
  readonly progress: CsvProgress;

  constructor(private readonly options: CsvOptions) {
    let size: number;
    try {
      size = statSync(options.file).size;
    } catch (err) {
      throw new Error(`cannot read ${options.file}: ${(err as Error).message}`);
    }
    this.progress = { bytesRead: 0, totalBytes: size, rows: 0, blankLines: 0 };
    // Validate the format before opening anything.
    dateParser(options.dateFormat);
  }

  /**
   * Batches of events in file order. Throws (before yielding anything) when the header
   * cannot be mapped, and when the file is not text a CSV parser can split.
   */
  async *events(onHeader?: (h: CsvHeader) => void): AsyncGenerator<CsvEvent[]> {
    const { options, progress } = this;
    const parseFields = fieldParser(options.delimiter);
    const parseDate = dateParser(options.dateFormat);
    const splitter = new RecordSplitter();
    const decoder = new StringDecoder('utf8');
    let bom: BomKind | null = null;
    let ctx: RowContext | null = null;
    let headerNames: readonly string[] = [];

    const handle = (record: CsvRecord, out: CsvEvent[]): void => {
      if (ctx === null) {
        if (record.text.trim().length === 0) {
          progress.blankLines += 1;
          return;
        }
        try {
          headerNames = parseFields(record.text);
        } catch (err) {
          throw new Error(`${options.file}:${record.line}: the header row is not valid CSV: ${(err as Error).message}`);
        }
        const fallback = options.symbol ?? symbolFromFileName(options.file);
        const columns = mapColumns(headerNames, options.map ?? {}, { symbolFallback: true });
        ctx = {
          columns,
          headerLength: headerNames.length,
          parseDate,
          dateFormat: options.dateFormat,
          ...(options.decimal ? { decimal: options.decimal } : {}),
          ...(columns.symbol === undefined ? { fixedSymbol: fallback } : {}),
        };
        this.header = {
          columns,
          names: headerNames,
          mapping: describeMap(headerNames, columns) + (columns.symbol === undefined ? ` symbol=${fallback} (fixed)` : ''),
          bom: bom ?? 'none',
          ...(columns.symbol === undefined ? { fixedSymbol: fallback } : {}),
        };
        onHeader?.(this.header);
        return;
      }
      if (record.text.length === 0 && record.terminated) {
        progress.blankLines += 1;
        return;
      }
      progress.rows += 1;
      let fields: string[];
      try {
        fields = parseFields(record.text);
      } catch (err) {
        const reason = record.openQuote
          ? 'truncated row: the file ends inside a quoted field'
          : `malformed CSV: ${(err as Error).message}`;
        out.push({ kind: 'reject', line: record.line, reason, raw: record.text });
        return;
      }
      if (!record.terminated) {
        const cut = truncationReason(fields, ctx.headerLength, headerNames);
        if (cut !== null) {
          const symbol = ctx.columns.symbol !== undefined ? fields[ctx.columns.symbol]?.trim() : ctx.fixedSymbol;
          out.push({ kind: 'reject', line: record.line, reason: cut, raw: record.text, ...(symbol ? { symbol } : {}) });
          return;
        }
      }
      const check = checkBarRow(fields, ctx);
      if (check.ok) out.push({ kind: 'bar', bar: check.bar, line: record.line, raw: record.text });
      else out.push({ kind: 'reject', line: record.line, reason: check.reason, raw: record.text, ...(check.symbol ? { symbol: check.symbol } : {}) });
    };

    const stream = createReadStream(options.file, { highWaterMark: options.chunkBytes ?? 64 * 1024 });
    let head: Buffer | null = Buffer.alloc(0);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        progress.bytesRead += chunk.length;
        let bytes = chunk;
        if (head !== null) {
          // Hold bytes back until the byte-order mark can be decided.
          head = Buffer.concat([head, chunk]);
          if (head.length < BOM_SNIFF_BYTES) continue;
          const sniff = sniffBom(head);
          bom = sniff.kind;
          bytes = head.subarray(sniff.skip);
          head = null;
        }
        const out: CsvEvent[] = [];
        for (const record of splitter.push(decoder.write(bytes))) handle(record, out);
        if (out.length > 0) yield out;
      }
      const out: CsvEvent[] = [];
      let rest = decoder.end();
      if (head !== null) {
        const sniff = sniffBom(head);
        bom = sniff.kind;
        rest = decoder.write(head.subarray(sniff.skip)) + decoder.end();
      }
      for (const record of [...splitter.push(rest), ...splitter.end()]) handle(record, out);
      if (ctx === null) throw new Error(`${options.file} has no header row (the file is empty)`);
      if (out.length > 0) yield out;
    } finally {
      stream.destroy();
    }
  }
}

/** `AAPL.csv` -> `AAPL`: Yahoo-style downloads are one file per symbol named after it. */
export function symbolFromFileName(file: string): string {
  return basename(file, extname(file));
}
