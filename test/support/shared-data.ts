/**
 * Where the shared public market data lives (`../shared/data` beside the project, see its
 * README). A clone elsewhere points `TICKSTREAM_SHARED_DATA` at the folder; the tests that
 * read it fail with the path they tried, never pass without it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function sharedDataDir(): string {
  const fromEnv = process.env.TICKSTREAM_SHARED_DATA;
  if (fromEnv) return fromEnv;
  const candidates = [join(process.cwd(), '..', 'shared', 'data'), '/work/shared/data'];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

export const SHARED_DATA = sharedDataDir();
/** The Kaggle "Stock Exchange Data" files. */
export const KAGGLE_DIR = join(SHARED_DATA, 'kaggle-stock-exchange');
