-- Top gainers and losers: return from the first to the last daily close in a window
--
-- For every symbol with at least two trading days in [from, to]: its first and last
-- daily close (close of the day's last one-minute bar) and the return between them. The
-- `limit` best with a positive return are gainers, the `limit` worst with a negative
-- return are losers; ties are broken by symbol.
--
-- @param limit     integer   default 10 min 1    symbols on each side
-- @param from      date      default 1900-01-01  first day (UTC), inclusive
-- @param from      date      (again: the month partition holding it)
-- @param from      date      (again: the year partition holding it)
-- @param to        date      default 2199-12-31  last day (UTC), inclusive
-- @param from      date      (again: the exact first instant)
-- @param to        date      (again: the exact end)
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
  WHERE (dt >= ? OR dt = substr(?, 1, 7) OR dt = substr(?, 1, 4)) AND dt <= ?
    AND bar_start >= CAST(? AS timestamp) AND bar_start < CAST(? AS timestamp) + INTERVAL '1' DAY
  GROUP BY symbol, CAST(CAST(bar_start AS DATE) AS varchar)
),
span AS (
  SELECT symbol,
         min(day) AS first_day,
         max(day) AS last_day,
         min_by(close, day) AS first_close,
         max_by(close, day) AS last_close,
         count(*) AS days
  FROM daily
  GROUP BY symbol
  HAVING count(*) >= 2
),
ranked AS (
  SELECT span.*,
         last_close / first_close - 1 AS ret,
         row_number() OVER (ORDER BY last_close / first_close DESC, symbol) AS up_rank,
         row_number() OVER (ORDER BY last_close / first_close ASC, symbol) AS down_rank
  FROM span
)
SELECT side, rank, symbol, ret, first_day, first_close, last_day, last_close, days
FROM (
  SELECT 'gainer' AS side, r.up_rank AS rank, r.*
  FROM ranked r CROSS JOIN params p
  WHERE r.ret > 0 AND r.up_rank <= p.n
  UNION ALL
  SELECT 'loser' AS side, r.down_rank AS rank, r.*
  FROM ranked r CROSS JOIN params p
  WHERE r.ret < 0 AND r.down_rank <= p.n
) movers
ORDER BY side, rank
