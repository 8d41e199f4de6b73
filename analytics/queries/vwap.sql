-- Daily VWAP per symbol, and how far the close ended from it
--
-- Volume-weighted average price of each symbol on each UTC day, from raw ticks:
-- sum(price * volume) / sum(volume). close_vs_vwap_bps is (close / vwap - 1) in basis
-- points: above zero, the day closed above the price the average share traded at. Days
-- whose volume is 0 (old index data) have no VWAP.
--
-- @param symbol    string    default ''          one symbol, or '' for every symbol
-- @param from      date      default 1900-01-01  first day (UTC), inclusive
-- @param from      date      (again: the month partition holding it)
-- @param from      date      (again: the year partition holding it)
-- @param to        date      default 2199-12-31  last day (UTC), inclusive
-- @param from      date      (again: the exact first instant)
-- @param to        date      (again: the exact end)
-- @chart line time=day series=vwap,close
WITH daily AS (
  SELECT symbol,
         CAST(CAST(ts AS DATE) AS varchar) AS day,
         sum(price * volume) AS notional,
         CAST(sum(volume) AS bigint) AS volume,
         count(*) AS trades,
         max_by(price, ts) AS close
  FROM ticks
  WHERE symbol = coalesce(nullif(?, ''), symbol)
    AND (dt >= ? OR dt = substr(?, 1, 7) OR dt = substr(?, 1, 4)) AND dt <= ?
    AND ts >= CAST(? AS timestamp) AND ts < CAST(? AS timestamp) + INTERVAL '1' DAY
  GROUP BY symbol, CAST(CAST(ts AS DATE) AS varchar)
)
SELECT symbol,
       day,
       notional / nullif(CAST(volume AS double), 0) AS vwap,
       close,
       (close / (notional / nullif(CAST(volume AS double), 0)) - 1) * 10000 AS close_vs_vwap_bps,
       volume,
       trades
FROM daily
ORDER BY symbol, day
