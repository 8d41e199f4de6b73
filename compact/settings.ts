/**
 * Settings of `tickstream compact`: the lake (the sink's own settings, so both name the same
 * folder or bucket) and when and into what size partitions are compacted (docs/compaction.md).
 */
import { numberSetting, intSetting, type ConfigOf } from '../lib/config.js';
import { logSettings } from '../lib/settings.js';
import { lakeSettings } from '../consumer/settings.js';

export const compactSettings = {
  targetMb: intSetting({
    env: 'TICKSTREAM_COMPACT_TARGET_MB',
    default: 128,
    min: 1,
    max: 4096,
    doc: 'largest compacted file (MiB): small files are merged into files up to this size; a file this large is left as it is',
  }),
  minAgeHours: numberSetting({
    env: 'TICKSTREAM_COMPACT_MIN_AGE_HOURS',
    default: 24,
    min: 0,
    doc: 'a partition is compacted only once its newest file is this old (closed: the sink no longer writes it); longer than the sink could take to recover a batch',
  }),
  graceSeconds: intSetting({
    env: 'TICKSTREAM_COMPACT_GRACE_SECONDS',
    default: 3600,
    min: 0,
    doc: 'replaced files (then staged copies) are deleted this long after the switch, so queries planned before it still find them; longer than the longest query',
  }),
} as const;

export const compactSpec = { lake: lakeSettings, compact: compactSettings, log: logSettings } as const;

export type CompactConfig = ConfigOf<typeof compactSpec>;
