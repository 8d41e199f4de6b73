-- Volume spikes: days whose volume is far above the symbol's recent normal (z-score)
--
-- Daily volume per symbol (sum of one-minute bar volumes) compared with the mean and
-- sample standard deviation of the previous `window` trading days (the day itself
-- excluded): z = (volume - mean) / stddev. Days with z >= `threshold` are listed. Days
-- with fewer than `window` earlier days in [from, to], or a flat history (stddev 0, as
-- in old index data with volume 0), have no z-score.
--
-- @param window    integer   default 20 min 2    trading days of history before each day
-- @param threshold number    default 3           smallest z-score listed
-- @param symbol    string    default ''          one symbol, or '' for every symbol
-- @param from      date      default 1900-01-01  first day (UTC), inclusive
-- @param from      date      (again: the month partition holding it)
-- @param from      date      (again: the year partition holding it)
-- @param to        date      default 2199-12-31  last day (UTC), inclusive
-- @param from      date      (again: the exact first instant)
-- @param to        date      (again: the exact end)
WITH params AS (
  SELECT CAST(? AS bigint) AS n, CAST(? AS double) AS z_min
),
daily AS (
  SELECT symbol, CAST(CAST(bar_start AS DATE) AS varchar) AS day, CAST(sum(volume) AS bigint) AS volume
  FROM bars_1m
  WHERE symbol = coalesce(nullif(?, ''), symbol)
    AND (dt >= ? OR dt = substr(?, 1, 7) OR dt = substr(?, 1, 4)) AND dt <= ?
    AND bar_start >= CAST(? AS timestamp) AND bar_start < CAST(? AS timestamp) + INTERVAL '1' DAY
  GROUP BY symbol, CAST(CAST(bar_start AS DATE) AS varchar)
),
history AS (
  SELECT d.symbol, d.day, d.volume, p.n, p.z_min,
         avg(CAST(d.volume AS double)) OVER h AS mean_volume,
         stddev_samp(CAST(d.volume AS double)) OVER h AS sd_volume,
         count(*) OVER h AS k
  FROM daily d CROSS JOIN params p
  WINDOW h AS (PARTITION BY d.symbol ORDER BY d.day ROWS BETWEEN p.n PRECEDING AND 1 PRECEDING)
),
scored AS (
  SELECT symbol, day, volume, mean_volume, sd_volume, z_min,
         (CAST(volume AS double) - mean_volume) / nullif(sd_volume, 0) AS z
  FROM history
  WHERE k = n
)
SELECT symbol, day, volume, mean_volume, sd_volume, z
FROM scored
WHERE z >= z_min
ORDER BY symbol, day
