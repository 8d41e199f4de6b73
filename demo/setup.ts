/**
 * What the demo prepares before it runs: the days it replays (read from the CSV as the
 * producer reads it), its own lake folder, and no topics of earlier demo runs.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Kafka from 'node-rdkafka';
import { clusterMetadata } from '../lib/admin.js';
import { clientSettings } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig } from '../lib/settings.js';
import { CsvSource } from '../producer/sources/csv.js';
import { dailyOf, LastDays } from './days.js';

/** Marks a lake folder as the demo's own, so a later demo may clear it and nothing else. */
const DEMO_MARKER = '_tickstream_demo';

/** The bars of the last `days` dates of a CSV of daily bars, read as the producer reads it. */
export async function lastDaysOf(file: string, days: number): Promise<{ bars: ReturnType<LastDays['bars']>; days: string[]; skipped: number }> {
  const csv = new CsvSource({ file: resolve(file), dateFormat: 'iso', delimiter: ',' });
  const last = new LastDays(days);
  let rejected = 0;
  for await (const batch of csv.events()) {
    for (const e of batch) {
      if (e.kind === 'bar') last.add(e.bar);
      else rejected += 1;
    }
  }
  const bars = last.bars();
  return { bars, days: [...new Set(dailyOf(bars).map((b) => b.day))], skipped: rejected + last.duplicates };
}

/** The lake folder, emptied if an earlier demo made it; refused if it holds anyone else's data. */
export function prepareLake(path: string): string {
  const lake = resolve(path);
  if (existsSync(lake) && readdirSync(lake).length > 0) {
    if (!existsSync(join(lake, DEMO_MARKER))) {
      throw new Error(`${lake} holds data the demo did not write; pass --lake with another folder (the demo empties its lake on every run)`);
    }
    rmSync(lake, { recursive: true, force: true });
  }
  mkdirSync(lake, { recursive: true });
  writeFileSync(join(lake, DEMO_MARKER), 'written by tickstream demo; emptied by the next demo run\n');
  return lake;
}

export async function deleteOldDemoTopics(kafka: KafkaConfig, log: Logger): Promise<void> {
  const md = await clusterMetadata(kafka.bootstrap);
  const old = md.topics.map((t) => t.name).filter((n) => /^demo-\d{14}\./.test(n));
  if (old.length === 0) return;
  const admin = Kafka.AdminClient.create({ ...clientSettings(kafka, 'demo-admin') } as Kafka.GlobalConfig);
  try {
    for (const name of old) {
      await new Promise<void>((r) => admin.deleteTopic(name, 10_000, (err) => {
        if (err) log.warn({ topic: name, err: err.message }, 'could not delete an old demo topic');
        r();
      }));
    }
  } finally {
    admin.disconnect();
  }
}
