/**
 * Node flags the sink's processes run with: locally (`local/service-process.ts`, the
 * workers' `fork`), in the benchmarks, and on hosts, where the systemd unit sets the same
 * through NODE_OPTIONS (Ansible role tickstream_service:
 * `tickstream_service_max_semi_space_mb_by_service`; a unit test holds the two equal).
 *
 * --max-semi-space-size=4 caps V8's young generation at 4 MiB per semi-space. Left to
 * itself V8 grows it on a machine with much memory: on 5M ticks the sink's V8 heap reached
 * 155 MiB (62 used); with the cap 33 MiB, and the sink's peak RSS fell from 810 to 737 MiB at
 * the same CPU per tick (1.96 and 2.01 µs). The producer is left alone: the same cap took
 * its peak RSS from 353 to 254 MiB but its CPU per tick from 1.57 to 1.97 µs, more
 * scavenges of its many short-lived objects. Measured 2026-12-06, bench/all/RESULTS.md.
 */
export const SINK_SEMI_SPACE_MIB = 4;

export const SINK_NODE_FLAGS: readonly string[] = [`--max-semi-space-size=${SINK_SEMI_SPACE_MIB}`];

/** The Node flags of a `tickstream` subcommand run as a service (`sink`, `produce`, ...). */
export function serviceNodeFlags(subcommand: string | undefined): readonly string[] {
  return subcommand === 'sink' ? SINK_NODE_FLAGS : [];
}
