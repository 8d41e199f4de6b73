-- Daily returns and rolling volatility per symbol, from one-minute bars
--
-- The daily close is the close of the day's last one-minute bar. ret is the simple
-- close-to-close return, log_ret its logarithm; volatility is the sample standard deviation
-- of the last `window` log returns (trading days, the current one included), annualized
-- with sqrt(252). Both are computed inside [from, to]: the first day has no return and
-- the first `window` days have no volatility.
--
-- @param window    integer   default 20 min 2    trading days in the rolling window
-- @param symbol    string    default ''          one symbol, or '' for every symbol
-- @param from      date      default 1900-01-01  first day (UTC), inclusive
-- @param from      date      (again: the month partition holding it)
-- @param from      date      (again: the year partition holding it)
-- @param to        date      default 2199-12-31  last day (UTC), inclusive
-- @param from      date      (again: the exact first instant)
-- @param to        date      (again: the exact end)
-- @chart line time=day series=ret,volatility
WITH params AS (
  SELECT CAST(? AS bigint) AS n
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
returns AS (
  SELECT symbol, day, close,
         close / lag(close) OVER (PARTITION BY symbol ORDER BY day) - 1 AS ret,
         ln(close / lag(close) OVER (PARTITION BY symbol ORDER BY day)) AS log_ret
  FROM daily
),
rolling AS (
  -- The window length is a bound parameter, used as a frame offset: both engines evaluate
  -- frame offsets as expressions. Fewer than n returns in the frame: no volatility.
  SELECT r.symbol, r.day, r.close, r.ret, r.log_ret, p.n,
         stddev_samp(r.log_ret) OVER w AS sd,
         count(r.log_ret) OVER w AS k
  FROM returns r CROSS JOIN params p
  WINDOW w AS (PARTITION BY r.symbol ORDER BY r.day ROWS BETWEEN p.n - 1 PRECEDING AND CURRENT ROW)
)
SELECT symbol, day, close, ret, log_ret,
       CASE WHEN k = n THEN sd * sqrt(252) END AS volatility
FROM rolling
ORDER BY symbol, day
