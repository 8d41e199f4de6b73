-- Data quality per symbol: ticks, duplicates, redeliveries, gaps, late and out-of-order ticks
--
-- Over the raw ticks of [from, to], per symbol:
--   duplicate_ticks  messages that repeat an earlier tick (same ts, price, volume) under a new
--                    Kafka offset: the producer sent it twice
--   redelivered      rows that repeat a Kafka partition and offset already in the lake: the
--                    sink wrote a message twice (exactly-once broken); must be 0
--   gaps, max_gap_s  consecutive ticks (in event time) more than `gap_seconds` apart, and
--                    the longest such silence
--   late_ticks       ticks that reached Kafka more than `late_seconds` after their event time
--                    (kafka_ts - ts); max_lateness_s is the worst; early_ticks have an event
--                    time after their Kafka time (a producer clock ahead of the broker's)
--   out_of_order     ticks that arrived (in Kafka partition and offset order) after a tick
--                    of the same symbol with a later event time
--
-- @param gap_seconds  integer  default 3600 min 0  silence between two ticks counted as a gap
-- @param late_seconds integer  default 60 min 0    delay to Kafka counted as late
-- @param symbol       string   default ''          one symbol, or '' for every symbol
-- @param from         date     default 1900-01-01  first day (UTC), inclusive
-- @param from         date     (again: the month partition holding it)
-- @param from         date     (again: the year partition holding it)
-- @param to           date     default 2199-12-31  last day (UTC), inclusive
-- @param from         date     (again: the exact first instant)
-- @param to           date     (again: the exact end)
WITH params AS (
  SELECT CAST(? AS bigint) AS gap_s, CAST(? AS bigint) AS late_s
),
t AS (
  SELECT symbol, ts, price, volume, kafka_partition, kafka_offset, kafka_ts
  FROM ticks
  WHERE symbol = coalesce(nullif(?, ''), symbol)
    AND (dt >= ? OR dt = substr(?, 1, 7) OR dt = substr(?, 1, 4)) AND dt <= ?
    AND ts >= CAST(? AS timestamp) AND ts < CAST(? AS timestamp) + INTERVAL '1' DAY
),
-- Two orders, two window passes, no DISTINCT: in event order (ties broken by price and
-- volume) a repeated event sits right after its first copy; in arrival order (partition,
-- offset: a symbol's ticks share a partition, and offsets are the broker's order) a
-- redelivered message sits right after its first copy.
by_event AS (
  SELECT symbol, ts, kafka_partition, kafka_offset, kafka_ts,
         date_diff('millisecond', lag(ts) OVER e, ts) AS gap_ms,
         CASE WHEN ts = lag(ts) OVER e AND price = lag(price) OVER e AND volume = lag(volume) OVER e THEN 1 ELSE 0 END AS repeats_event
  FROM t
  WINDOW e AS (PARTITION BY symbol ORDER BY ts, price, volume, kafka_partition, kafka_offset)
),
by_arrival AS (
  SELECT symbol, ts, kafka_ts, gap_ms, repeats_event,
         date_diff('millisecond', ts, kafka_ts) AS lateness_ms,
         CASE WHEN kafka_partition = lag(kafka_partition) OVER a AND kafka_offset = lag(kafka_offset) OVER a THEN 1 ELSE 0 END AS repeats_message,
         max(ts) OVER (a ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newest_before
  FROM by_event
  WINDOW a AS (PARTITION BY symbol ORDER BY kafka_partition, kafka_offset)
)
SELECT symbol,
       count(*) AS ticks,
       min(ts) AS first_ts,
       max(ts) AS last_ts,
       CAST(sum(repeats_event) - sum(repeats_message) AS bigint) AS duplicate_ticks,
       CAST(sum(repeats_message) AS bigint) AS redelivered,
       CAST(sum(CASE WHEN gap_ms > p.gap_s * 1000 THEN 1 ELSE 0 END) AS bigint) AS gaps,
       CAST(max(gap_ms) AS double) / 1000 AS max_gap_s,
       CAST(sum(CASE WHEN lateness_ms > p.late_s * 1000 THEN 1 ELSE 0 END) AS bigint) AS late_ticks,
       CAST(max(lateness_ms) AS double) / 1000 AS max_lateness_s,
       CAST(sum(CASE WHEN lateness_ms < 0 THEN 1 ELSE 0 END) AS bigint) AS early_ticks,
       CAST(sum(CASE WHEN ts < newest_before THEN 1 ELSE 0 END) AS bigint) AS out_of_order
FROM by_arrival CROSS JOIN params p
GROUP BY symbol
ORDER BY symbol
