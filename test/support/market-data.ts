/**
 * The market data files the tests read, in the layout of the Kaggle "Stock Exchange Data"
 * set. Two sources:
 *
 * - `generatedKaggle()`: the generated fixture (test/fixtures/kaggle.ts), written once per
 *   process into a temporary folder. Everything `npm test` runs uses this, so a fresh clone
 *   needs nothing beside the repository.
 * - `realKaggle()`: the real public files, for the real-data lane only
 *   (`npm run test:real-data`, test/real-data/), from the folder `TICKSTREAM_REAL_DATA`
 *   names. It throws, naming the variable and what it looked for, when that is not set or
 *   not the data set: the lane then fails, it never passes without having run.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKaggle, INDEX_DATA, INDEX_INFO, INDEX_PROCESSED, type KaggleFacts } from '../fixtures/kaggle.js';

export interface KaggleFiles {
  /** Says in test titles and messages which data this is. */
  readonly label: string;
  readonly dir: string;
  readonly indexData: string;
  readonly indexInfo: string;
  /** A file in the layout of indexProcessed.csv (HSI rows; the generated one is cut off in its last row). */
  readonly indexProcessed: string;
  /** What the generator wrote; absent for the real files (tests compute from the files). */
  readonly facts?: KaggleFacts;
}

let generated: KaggleFiles | undefined;

export function generatedKaggle(): KaggleFiles {
  if (generated) return generated;
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-kaggle-fixture-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const fixture = generateKaggle();
  for (const [name, bytes] of Object.entries(fixture.files)) writeFileSync(join(dir, name), bytes);
  generated = {
    label: 'generated fixture',
    dir,
    indexData: join(dir, INDEX_DATA),
    indexInfo: join(dir, INDEX_INFO),
    indexProcessed: join(dir, INDEX_PROCESSED),
    facts: fixture.facts,
  };
  return generated;
}

export const REAL_DATA_ENV = 'TICKSTREAM_REAL_DATA';

/**
 * The real files under `$TICKSTREAM_REAL_DATA`: either the folder of a Kaggle download
 * (indexData.csv, indexInfo.csv, indexProcessed.csv) or a folder holding it as
 * `kaggle-stock-exchange/` (with `indexProcessed-HSI-truncated.csv`, this project's copy).
 */
export function realKaggle(env: NodeJS.ProcessEnv = process.env): KaggleFiles {
  const root = env[REAL_DATA_ENV];
  const how = `point ${REAL_DATA_ENV} at a folder with the Kaggle "Stock Exchange Data" files (indexData.csv, indexInfo.csv, indexProcessed.csv); see test/README.md`;
  if (!root) throw new Error(`the real-data lane did not run: ${REAL_DATA_ENV} is not set; ${how}`);
  const dir = [join(root, 'kaggle-stock-exchange'), root].map((d) => resolve(d)).find((d) => existsSync(join(d, INDEX_DATA)));
  if (!dir) throw new Error(`the real-data lane did not run: ${REAL_DATA_ENV}=${root} has no ${INDEX_DATA} (nor kaggle-stock-exchange/${INDEX_DATA}); ${how}`);
  const processed = [INDEX_PROCESSED, 'indexProcessed.csv'].map((n) => join(dir, n)).find((f) => existsSync(f));
  const missing = [INDEX_INFO].filter((n) => !existsSync(join(dir, n)));
  if (!processed) missing.push(`${INDEX_PROCESSED} or indexProcessed.csv`);
  if (missing.length > 0) throw new Error(`the real-data lane did not run: ${dir} lacks ${missing.join(', ')}; ${how}`);
  return { label: `real data in ${dir}`, dir, indexData: join(dir, INDEX_DATA), indexInfo: join(dir, INDEX_INFO), indexProcessed: processed! };
}
