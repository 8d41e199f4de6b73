/**
 * The partitioner: which `dt=` partition a tick belongs to. The design partitions by event
 * date (UTC), not by arrival time, so a replay of old data lands beside the data of its day
 * and a query by date reads only that day's folder.
 *
 * Works on day numbers (days since 1970-01-01, negative before) so that grouping a batch is
 * integer arithmetic; `dtOfDay` turns one into the `YYYY-MM-DD` of the path.
 */
export const DAY_MS = 86_400_000;

export function dayOf(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

export function dtOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Row indices of `count` rows grouped by event day, days in ascending order, row indices in
 * ascending (that is, offset) order inside each group.
 */
export function groupByDay(ts: Float64Array, count: number): Array<{ day: number; rows: Int32Array }> {
  const counts = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const d = dayOf(ts[i]!);
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  const days = [...counts.keys()].sort((a, b) => a - b);
  if (days.length === 1) {
    const rows = new Int32Array(count);
    for (let i = 0; i < count; i++) rows[i] = i;
    return [{ day: days[0]!, rows }];
  }
  const groups = new Map(days.map((d) => [d, { day: d, rows: new Int32Array(counts.get(d)!), fill: 0 }]));
  for (let i = 0; i < count; i++) {
    const g = groups.get(dayOf(ts[i]!))!;
    g.rows[g.fill++] = i;
  }
  return days.map((d) => ({ day: d, rows: groups.get(d)!.rows }));
}
