-- Maximum drawdown per symbol: the largest fall from a running peak of the daily close
--
-- Over the daily closes in [from, to] (close of the day's last one-minute bar):
-- max_drawdown is min(close / running peak - 1), 0 when the close never fell below an
-- earlier peak. peak_day is the last day the peak was set before the trough, trough_day the
-- first day of the lowest point, recovery_day the first day after the trough that closed at
-- or above the peak again (empty when it has not recovered inside the window).
--
-- @param symbol    string    default ''          one symbol, or '' for every symbol
-- @param from      date      default 1900-01-01  first day (UTC), inclusive
-- @param from      date      (again: the month partition holding it)
-- @param from      date      (again: the year partition holding it)
-- @param to        date      default 2199-12-31  last day (UTC), inclusive
-- @param from      date      (again: the exact first instant)
-- @param to        date      (again: the exact end)
WITH daily AS (
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
running AS (
  SELECT symbol, day, close,
         max(close) OVER (PARTITION BY symbol ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS peak
  FROM daily
),
trough AS (
  SELECT symbol, day AS trough_day, close AS trough_close, peak AS peak_close, close / peak - 1 AS max_drawdown
  FROM (
    SELECT running.*,
           row_number() OVER (PARTITION BY symbol ORDER BY close / peak - 1, day) AS rn
    FROM running
  ) ranked
  WHERE rn = 1
),
peak AS (
  SELECT t.symbol, max(r.day) AS peak_day
  FROM trough t
  JOIN running r ON r.symbol = t.symbol AND r.day <= t.trough_day AND r.close = t.peak_close
  GROUP BY t.symbol
),
recovery AS (
  SELECT t.symbol, min(r.day) AS recovery_day
  FROM trough t
  JOIN running r ON r.symbol = t.symbol AND r.day > t.trough_day AND r.close >= t.peak_close
  GROUP BY t.symbol
)
SELECT t.symbol, t.max_drawdown, p.peak_day, t.peak_close, t.trough_day, t.trough_close, rc.recovery_day
FROM trough t
JOIN peak p ON p.symbol = t.symbol
LEFT JOIN recovery rc ON rc.symbol = t.symbol
ORDER BY t.max_drawdown, t.symbol
