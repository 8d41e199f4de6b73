/**
 * What a Kaggle-layout CSV file holds, found by plain string splitting (independently of
 * the producer's parser): the expectations of the CSV and replay tests.
 */
import { readFileSync } from 'node:fs';
import type { BomKind } from '../../../producer/sources/bom.js';

export interface KaggleScan {
  readonly bom: BomKind;
  readonly crlf: boolean;
  readonly finalNewline: boolean;
  /** Lines without their line ends and without the byte-order mark; `lines[0]` is the header. */
  readonly lines: readonly string[];
  readonly header: readonly string[];
  /** Data rows: lines after the header that are not empty. */
  readonly rows: number;
  /** 1-based line numbers. */
  readonly nullLines: readonly number[];
  readonly blankLines: readonly number[];
  /** Line number of the last data row. */
  readonly lastDataLine: number;
  /** The file ends without a line break in the middle of a number (`2913.`, `1.5e`, `-`). */
  readonly cut: boolean;
  /** Rows whose Volume is written as a float (`1626022600.0`). */
  readonly floatVolumes: number;
}

export function scanKaggleFile(file: string): KaggleScan {
  const bytes = readFileSync(file);
  const bom: BomKind = bytes.subarray(0, 6).equals(Buffer.from([0xc3, 0xaf, 0xc2, 0xbb, 0xc2, 0xbf]))
    ? 'utf8-double'
    : bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))
      ? 'utf8'
      : 'none';
  const text = bytes.subarray(bom === 'utf8-double' ? 6 : bom === 'utf8' ? 3 : 0).toString('utf8');
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.replace(/\r$/, ''));
  const header = lines[0]!.split(',');
  const blankLines: number[] = [];
  const nullLines: number[] = [];
  let floatVolumes = 0;
  const volumeAt = header.indexOf('Volume');
  lines.forEach((l, i) => {
    if (i === 0) return;
    if (l.trim() === '') blankLines.push(i + 1);
    else if (l.split(',').includes('null')) nullLines.push(i + 1);
    else if (/^\d+\.0$/.test(l.split(',')[volumeAt] ?? '')) floatVolumes++;
  });
  const last = lines.at(-1)!;
  const lastFields = last.split(',');
  const cut = !finalNewline && (lastFields.length < header.length || /(\.|[eE][-+]?|^-)$/.test(lastFields.at(-1)!));
  return {
    bom,
    crlf: text.includes('\r\n'),
    finalNewline,
    lines,
    header,
    rows: lines.length - 1 - blankLines.length,
    nullLines,
    blankLines,
    lastDataLine: lines.length - [...lines].reverse().findIndex((l) => l.trim() !== ''),
    cut,
    floatVolumes,
  };
}
