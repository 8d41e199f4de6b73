/**
 * One-minute bars straight from their definition, written independently of the sink's code,
 * for the tests to compare the lake against: group by symbol and minute, order by ts, then
 * Kafka partition and offset; open/close are the first/last price, vwap = sum(p*v)/sum(v).
 */
export interface RefTick {
  readonly symbol: string;
  readonly ts: number;
  readonly price: number;
  readonly volume: number;
  readonly partition: number;
  readonly offset: number;
}

export interface Bar {
  symbol: string;
  bar_start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  vwap: number | null;
}

export function referenceBars(ticks: readonly RefTick[]): Bar[] {
  const groups = new Map<string, RefTick[]>();
  for (const t of ticks) {
    const k = `${t.symbol}|${Math.floor(t.ts / 60_000)}`;
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  const bars: Bar[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.ts - b.ts || a.partition - b.partition || a.offset - b.offset);
    let volume = 0;
    let notional = 0;
    for (const t of g) {
      volume += t.volume;
      notional += t.price * t.volume;
    }
    bars.push({
      symbol: g[0]!.symbol,
      bar_start: Math.floor(g[0]!.ts / 60_000) * 60_000,
      open: g[0]!.price,
      high: Math.max(...g.map((t) => t.price)),
      low: Math.min(...g.map((t) => t.price)),
      close: g[g.length - 1]!.price,
      volume,
      trades: g.length,
      vwap: volume > 0 ? notional / volume : null,
    });
  }
  return bars.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.bar_start - b.bar_start));
}

/** Differences between two sorted bar lists; vwap within a relative 1e-9 (merged partial bars sum in another order). */
export function barMismatches(actual: readonly Bar[], expected: readonly Bar[]): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`bar count ${actual.length} != ${expected.length}`);
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n && out.length < 5; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const vwapOk = a.vwap === null ? e.vwap === null : e.vwap !== null && Math.abs(a.vwap - e.vwap) <= 1e-9 * Math.abs(e.vwap);
    const same = (['symbol', 'bar_start', 'open', 'high', 'low', 'close', 'volume', 'trades'] as const).every((k) => a[k] === e[k]);
    if (!same || !vwapOk) out.push(`bar ${i}: got ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`);
  }
  return out;
}
