-- OHLCV bars at a chosen interval, built from raw ticks
--
-- One row per symbol and bar: open (first price), high, low, close (last price), volume,
-- number of trades and the bar's VWAP. Bars are aligned to the Unix epoch in UTC, so a 1d
-- bar is a UTC calendar day and 5m bars start at :00, :05, ... Bars with no ticks are absent.
--
-- @param interval  interval  default 60          bar length: seconds, or 30s, 5m, 1h, 1d
-- @param symbol    string    default ''          one symbol, or '' for every symbol
-- @param from      date      default 1900-01-01  first day (UTC), inclusive
-- @param from      date      (again: the month partition holding it)
-- @param from      date      (again: the year partition holding it)
-- @param to        date      default 2199-12-31  last day (UTC), inclusive
-- @param from      date      (again: the exact first instant)
-- @param to        date      (again: the exact end)
-- @chart candlestick time=bar_start
WITH params AS (
  SELECT CAST(? AS bigint) AS step_s
),
t AS (
  SELECT symbol, ts, price, volume
  FROM ticks
  WHERE symbol = coalesce(nullif(?, ''), symbol)
    AND (dt >= ? OR dt = substr(?, 1, 7) OR dt = substr(?, 1, 4)) AND dt <= ?
    AND ts >= CAST(? AS timestamp) AND ts < CAST(? AS timestamp) + INTERVAL '1' DAY
),
bucketed AS (
  -- Milliseconds since the epoch as a double, then floor: integer division truncates
  -- towards zero on Trino and returns a double on DuckDB, and ticks before 1970 exist.
  SELECT t.symbol, t.ts, t.price, t.volume, p.step_s,
         CAST(floor(CAST(date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', t.ts) AS double) / (p.step_s * 1000)) AS bigint) AS bucket
  FROM t CROSS JOIN params p
)
SELECT symbol,
       TIMESTAMP '1970-01-01 00:00:00' + (bucket * step_s) * INTERVAL '1' SECOND AS bar_start,
       min_by(price, ts) AS open,
       max(price) AS high,
       min(price) AS low,
       max_by(price, ts) AS close,
       CAST(sum(volume) AS bigint) AS volume,
       count(*) AS trades,
       sum(price * volume) / nullif(CAST(sum(volume) AS double), 0) AS vwap
FROM bucketed
GROUP BY symbol, bucket, step_s
ORDER BY symbol, bar_start
