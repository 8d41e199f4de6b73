/**
 * Enrichment: the exchange and currency of each symbol, from a file laid out like Kaggle's
 * indexInfo.csv (`Region,Exchange,Index,Currency`, with a byte-order mark). The exchange
 * also picks the session hours the ticks of that symbol's bars fall in. The file is small
 * (one row per symbol) and read whole.
 */
import { readFileSync } from 'node:fs';
import { sniffBom } from './bom.js';
import { stripBomText } from './columns.js';
import { fieldParser } from './fields.js';
import { RecordSplitter } from './records.js';

export interface SymbolInfo {
  readonly exchange?: string;
  readonly currency?: string;
}

export type InfoTable = ReadonlyMap<string, SymbolInfo>;

export function parseInfo(text: string, file = 'info file'): InfoTable {
  const splitter = new RecordSplitter();
  const records = [...splitter.push(text), ...splitter.end()].filter((r) => r.text.trim().length > 0);
  const parse = fieldParser(',');
  const [headerRecord, ...rows] = records;
  if (!headerRecord) throw new Error(`${file} is empty`);
  const header = parse(headerRecord.text);
  // The info file has no prices, so only symbol, exchange and currency are looked up.
  const find = (names: string[]): number | undefined => {
    const i = header.findIndex((h) => names.includes(stripBomText(h).trim().toLowerCase()));
    return i >= 0 ? i : undefined;
  };
  const symbolCol = find(['index', 'symbol', 'ticker']);
  const exchangeCol = find(['exchange', 'mic', 'market']);
  const currencyCol = find(['currency', 'ccy']);
  if (symbolCol === undefined || (exchangeCol === undefined && currencyCol === undefined)) {
    throw new Error(`${file}: expected columns for the symbol (Index, Symbol or Ticker) and Exchange and/or Currency, found ${header.join(',')}`);
  }
  const table = new Map<string, SymbolInfo>();
  for (const r of rows) {
    const f = parse(r.text);
    const symbol = f[symbolCol]?.trim();
    if (!symbol) throw new Error(`${file}:${r.line}: no symbol`);
    const exchange = exchangeCol !== undefined ? f[exchangeCol]?.trim() : undefined;
    const currency = currencyCol !== undefined ? f[currencyCol]?.trim() : undefined;
    table.set(symbol, { ...(exchange ? { exchange } : {}), ...(currency ? { currency } : {}) });
  }
  return table;
}

export function readInfo(file: string): InfoTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the info file ${file}: ${(err as Error).message}`);
  }
  const { skip } = sniffBom(bytes.subarray(0, 8));
  return parseInfo(bytes.subarray(skip).toString('utf8'), file);
}
