/**
 * Opens the runner of an engine from the analytics settings. The AWS SDK and DuckDB are
 * imported here, on demand, so that `tickstream --help` and the other commands never load
 * them.
 */
import type { AnalyticsConfig } from './settings.js';
import type { EngineName, QueryRunner } from './runners/runner.js';

export interface OpenOptions {
  /** Athena: called on every poll (progress on the terminal). */
  readonly onState?: (e: { readonly queryId: string; readonly state: string; readonly elapsedMs: number }) => void;
}

export async function openRunner(engine: EngineName, cfg: AnalyticsConfig, options: OpenOptions = {}): Promise<QueryRunner> {
  if (engine === 'duckdb') {
    const { DuckDbRunner } = await import('./runners/duckdb.js');
    return DuckDbRunner.open({ lake: cfg.lake });
  }
  const [{ AthenaClient }, { AthenaRunner }] = await Promise.all([import('@aws-sdk/client-athena'), import('./runners/athena.js')]);
  return new AthenaRunner({
    client: new AthenaClient(cfg.awsEndpoint ? { endpoint: cfg.awsEndpoint } : {}),
    workGroup: cfg.workgroup,
    database: cfg.database,
    catalog: cfg.dataCatalog,
    ...(cfg.outputLocation ? { outputLocation: cfg.outputLocation } : {}),
    ...(options.onState ? { onState: options.onState } : {}),
  });
}

export async function openGlue(cfg: AnalyticsConfig) {
  const [{ GlueClient }, { GlueCatalogClient }] = await Promise.all([import('@aws-sdk/client-glue'), import('./catalog/glue.js')]);
  return new GlueCatalogClient(new GlueClient(cfg.awsEndpoint ? { endpoint: cfg.awsEndpoint } : {}));
}
