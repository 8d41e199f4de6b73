-- Moving-average crossovers: days the short moving average of the close crosses the long one
--
-- Simple moving averages over the last `short` and `long` daily closes (close of the
-- day's last one-minute bar, the current day included), computed inside [from, to]: the
-- first long - 1 days have no long average. A golden cross is a day the short average
-- ends above the long one after being at or below it the day before; a death cross the
-- opposite.
--
-- @param short     integer   default 50 min 1    days in the short moving average
-- @param long      integer   default 200 min 2   days in the long moving average
-- @param symbol    string    default ''          one symbol, or '' for every symbol
-- @param from      date      default 1900-01-01  first day (UTC), inclusive
-- @param from      date      (again: the month partition holding it)
-- @param from      date      (again: the year partition holding it)
-- @param to        date      default 2199-12-31  last day (UTC), inclusive
-- @param from      date      (again: the exact first instant)
-- @param to        date      (again: the exact end)
WITH params AS (
  SELECT CAST(? AS bigint) AS short_n, CAST(? AS bigint) AS long_n
),
daily AS (
  -- The day's close is the close of its last one-minute bar. A minute the sink split over
  -- two files has a partial bar in each; the last is the one whose closing tick is latest
  -- (close_ts, then Kafka partition and batch offset: the sink's bars merge rule). Rows
  -- written without lineage fall back to bar_start.
  SELECT symbol, CAST(CAST(bar_start AS DATE) AS varchar) AS day,
         max_by(close, ROW(coalesce(close_ts, bar_start), coalesce(kafka_partition, -1), coalesce(batch_offset, -1))) AS close
  FROM bars_1m
  WHERE symbol = coalesce(nullif(?, ''), symbol)
    AND (dt >= ? OR dt = substr(?, 1, 7) OR dt = substr(?, 1, 4)) AND dt <= ?
    AND bar_start >= CAST(? AS timestamp) AND bar_start < CAST(? AS timestamp) + INTERVAL '1' DAY
  GROUP BY symbol, CAST(CAST(bar_start AS DATE) AS varchar)
),
averages AS (
  SELECT d.symbol, d.day, d.close,
         CASE WHEN count(*) OVER s = p.short_n THEN avg(d.close) OVER s END AS ma_short,
         CASE WHEN count(*) OVER l = p.long_n THEN avg(d.close) OVER l END AS ma_long
  FROM daily d CROSS JOIN params p
  WINDOW s AS (PARTITION BY d.symbol ORDER BY d.day ROWS BETWEEN p.short_n - 1 PRECEDING AND CURRENT ROW),
         l AS (PARTITION BY d.symbol ORDER BY d.day ROWS BETWEEN p.long_n - 1 PRECEDING AND CURRENT ROW)
),
spread AS (
  SELECT symbol, day, close, ma_short, ma_long,
         ma_short - ma_long AS diff,
         lag(ma_short - ma_long) OVER (PARTITION BY symbol ORDER BY day) AS prev_diff
  FROM averages
)
SELECT symbol, day,
       CASE WHEN diff > 0 THEN 'golden' ELSE 'death' END AS crossover,
       close, ma_short, ma_long
FROM spread
WHERE (prev_diff <= 0 AND diff > 0) OR (prev_diff >= 0 AND diff < 0)
ORDER BY symbol, day
