/**
 * `tickstream compact`: merges the small files of closed partitions into files of the target
 * size, on a lake folder or S3 (docs/compaction.md). Flags override the environment and the
 * config file (`compact/settings.ts`). Exit status 1 when a partition failed (named on stderr).
 */
import type { Command } from 'commander';
import { action, formatTable, overridesFrom, settingFlags, type SettingFlag } from '../lib/cli.js';
import { describeSpec, loadConfig } from '../lib/config.js';
import { compactSpec } from './settings.js';

/** The setting flags of `compact`: the only list of them (help and overrides both come from it). */
const COMPACT_FLAGS: readonly SettingFlag[] = [
  ['--lake <root>', 'lake.root', 'lake root: a folder or s3://bucket/prefix'],
  ['--s3-endpoint <url>', 'lake.s3Endpoint'],
  ['--target-mb <mb>', 'compact.targetMb', 'largest compacted file'],
  ['--min-age-hours <h>', 'compact.minAgeHours', 'compact partitions whose newest file is this old'],
  ['--grace-seconds <s>', 'compact.graceSeconds', 'keep replaced files this long after the switch'],
];

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerCompactCommand(program: Command): void {
  const compact = program
    .command('compact')
    .description('merge the small Parquet files of closed lake partitions into files of a target size, exactly once, safely for readers')
    .option('--table <name>', 'only this table (ticks, bars_1m; repeatable)', collect, [])
    .option('--partition <dt>', 'only this partition folder, e.g. dt=2021-01-04 (repeatable)', collect, [])
    .option('--dry-run', 'say what would be done, change nothing')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]')
    .option('--print-config', 'print every setting with its variable and default, then exit');
  const settingOverrides = settingFlags(compact, compactSpec, COMPACT_FLAGS);
  compact.action(
      action(async (opts: Record<string, unknown>) => {
        if (opts.printConfig) {
          process.stdout.write(`${describeSpec(compactSpec).join('\n')}\n`);
          return;
        }
        const config = loadConfig(compactSpec, { ...(opts.config ? { file: String(opts.config) } : {}), overrides: overridesFrom(opts, settingOverrides) });
        const [{ openStore }, { compactLake }, { LAKE_TABLES }] = await Promise.all([
          import('../consumer/store/open.js'),
          import('./run.js'),
          import('../lib/lake.js'),
        ]);
        const names = opts.table as string[];
        const unknown = names.filter((n) => !LAKE_TABLES.some((t) => t.name === n));
        if (unknown.length) throw new Error(`--table ${unknown.join(', ')}: no such table (tables: ${LAKE_TABLES.map((t) => t.name).join(', ')})`);
        const store = await openStore(config.lake);
        try {
          const report = await compactLake({
            store,
            policy: {
              targetBytes: config.compact.targetMb * 1024 * 1024,
              minAgeMs: config.compact.minAgeHours * 3_600_000,
              graceMs: config.compact.graceSeconds * 1000,
            },
            tables: names.length ? LAKE_TABLES.filter((t) => names.includes(t.name)) : LAKE_TABLES,
            ...((opts.partition as string[]).length ? { partitions: opts.partition as string[] } : {}),
            dryRun: Boolean(opts.dryRun),
            onProgress: (line) => process.stderr.write(`${line}\n`),
          });
          const byTable = new Map<string, { table: string; partitions: number; compacted: number; waiting: number; failed: number; files_before: number; files_after: number; bytes_before: number; bytes_after: number }>();
          for (const p of report.partitions) {
            const t = byTable.get(p.table) ?? { table: p.table, partitions: 0, compacted: 0, waiting: 0, failed: 0, files_before: 0, files_after: 0, bytes_before: 0, bytes_after: 0 };
            t.partitions++;
            if (p.outcome === 'done') t.compacted++;
            if (p.outcome === 'waiting') t.waiting++;
            if (p.outcome === 'failed') t.failed++;
            t.files_before += p.filesBefore;
            t.files_after += p.filesAfter;
            t.bytes_before += p.bytesBefore;
            t.bytes_after += p.bytesAfter;
            byTable.set(p.table, t);
          }
          process.stdout.write(`${formatTable([...byTable.values()])}\n`);
          for (const p of report.partitions.filter((x) => x.outcome === 'failed')) process.stderr.write(`FAILED ${p.table} ${p.partition}: ${p.reason}\n`);
          process.stderr.write(`compaction of ${store.url} took ${(report.elapsedMs / 1000).toFixed(1)} s\n`);
          return report.failed > 0 ? 1 : 0;
        } finally {
          await store.close();
        }
      }),
  );
}
