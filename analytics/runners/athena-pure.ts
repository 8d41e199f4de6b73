/**
 * The decisions of the Athena runner that need no network: what a query execution's
 * state means, what a query costs, and how Athena's all-text result cells become typed
 * values. Kept apart so they are unit-tested directly.
 */
import { integerValue, type Value } from './runner.js';

/** Athena's price: USD 5 per TB scanned, rounded up to the next MB, at least 10 MB per query. */
export const USD_PER_TB = 5;
const MB = 1024 * 1024;
const TB = 1024 ** 4;
export const MIN_BILLED_BYTES = 10 * MB;

/**
 * The cost of a query that scanned `bytes`. Athena bills successful and cancelled queries
 * (for what they scanned before the cancel) and not failed ones; pass `billed: false` then.
 * Units are binary (1 MB = 2^20 bytes, 1 TB = 2^40), as in Athena's own examples.
 */
export function athenaCostUsd(bytes: number, billed = true): number {
  if (!billed) return 0;
  const rounded = Math.max(MIN_BILLED_BYTES, Math.ceil(bytes / MB) * MB);
  return (rounded / TB) * USD_PER_TB;
}

export type ExecutionOutcome =
  | { readonly done: false; readonly state: string }
  | { readonly done: true; readonly state: 'SUCCEEDED' }
  | { readonly done: true; readonly state: 'FAILED'; readonly message: string }
  | { readonly done: true; readonly state: 'CANCELLED'; readonly message: string };

/** The parts of GetQueryExecution's `QueryExecution.Status` the runner reads. */
export interface ExecutionStatus {
  readonly State?: string;
  readonly StateChangeReason?: string;
  readonly AthenaError?: { readonly ErrorCategory?: number; readonly ErrorType?: number; readonly ErrorMessage?: string; readonly Retryable?: boolean };
}

const CATEGORY: Record<number, string> = { 1: 'system error', 2: 'user error', 3: 'other error' };

/** What a polled state means; for a failure, the engine's own message, as the user needs it. */
export function interpretStatus(status: ExecutionStatus | undefined): ExecutionOutcome {
  const state = status?.State ?? 'UNKNOWN';
  if (state === 'SUCCEEDED') return { done: true, state };
  if (state === 'FAILED' || state === 'CANCELLED') {
    const reason = status?.AthenaError?.ErrorMessage ?? status?.StateChangeReason ?? 'no reason given';
    const category = status?.AthenaError?.ErrorCategory;
    const detail = category !== undefined ? ` [${CATEGORY[category] ?? `category ${category}`}${status?.AthenaError?.Retryable ? ', retryable' : ''}]` : '';
    return { done: true, state, message: `${reason}${detail}` };
  }
  return { done: false, state };
}

export interface AthenaColumnInfo {
  readonly Name?: string;
  readonly Label?: string;
  readonly Type?: string;
}

/** One cell of GetQueryResults (text, or absent for NULL) as a normalized value of its column type. */
export function athenaValue(text: string | undefined, type: string): Value {
  if (text === undefined) return null;
  const t = type.toLowerCase().replace(/\(.*$/, '');
  switch (t) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'bigint':
      return /^-?\d+$/.test(text) ? integerValue(BigInt(text)) : text;
    case 'double':
    case 'float':
    case 'real':
    case 'decimal': {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'boolean':
      return text === 'true';
    case 'timestamp':
    case 'timestamp with time zone':
      return isoFromAthena(text);
    default:
      return text;
  }
}

/** `2021-01-04 14:30:00.000` (UTC, as Athena prints a timestamp) or `... UTC` to ISO 8601. */
export function isoFromAthena(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(?: (UTC|Z))?$/.exec(text.trim());
  if (!m) return text;
  const fraction = ((m[3] ?? '.000') + '000').slice(0, 4);
  return `${m[1]}T${m[2]}${fraction}Z`;
}
