/** Picks the store for a lake root: `s3://...` is S3, anything else a folder. */
import type { LakeConfig } from '../settings.js';
import { isS3Url, type ObjectStore } from './store.js';

export async function openStore(lake: LakeConfig): Promise<ObjectStore> {
  if (isS3Url(lake.root)) {
    const { S3Store } = await import('./s3.js');
    return new S3Store({
      url: lake.root,
      endpoint: lake.s3Endpoint,
      region: lake.s3Region,
      multipartThresholdBytes: lake.multipartThresholdMb * 1024 * 1024,
      requestTimeoutMs: lake.requestTimeoutMs,
    });
  }
  const { LocalStore } = await import('./local.js');
  const store = new LocalStore(lake.root);
  await store.sweepTemp();
  return store;
}
