/**
 * moto's control API, for the Athena and Glue tests: queue the rows Athena "returns" (moto
 * runs no SQL), and slow down state machines (a query that stays QUEUED until cancelled, a
 * crawl that runs for a second) so that polling and cancelling can be observed.
 */
import { expect } from 'chai';
import { TEST_AWS_ENV } from '../../support/moto.js';

/** SDK client settings for a moto endpoint: its region and the fake credentials it accepts. */
export function awsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: TEST_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  };
}

export interface AthenaColumn {
  readonly Name: string;
  readonly Type: string;
}

/** Rows as Athena's GetQueryResults carries them: text cells, absent for NULL, a header row first. */
export function athenaRows(columns: readonly AthenaColumn[], rows: ReadonlyArray<ReadonlyArray<string | null>>) {
  return [columns.map((c) => c.Name), ...rows].map((cells) => ({ Data: cells.map((c) => (c === null ? {} : { VarCharValue: c })) }));
}

/** Queues results for the next query executions, one entry per execution. */
export async function queueAthenaResults(endpoint: string, results: ReadonlyArray<{ columns: readonly AthenaColumn[]; rows: ReadonlyArray<ReadonlyArray<string | null>> }>): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/static/athena/query-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      region: TEST_AWS_ENV.AWS_REGION,
      results: results.map((r) => ({
        rows: athenaRows(r.columns, r.rows),
        column_info: r.columns.map((c) => ({ Name: c.Name, Label: c.Name, Type: c.Type, CatalogName: 'hive', SchemaName: '', TableName: '', Nullable: 'UNKNOWN', CaseSensitive: false })),
      })),
    }),
  });
  expect(res.status, await res.text()).to.equal(201);
}

export async function setTransition(endpoint: string, model: string, transition: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    body: JSON.stringify({ model_name: model, transition }),
  });
  expect(res.status, await res.text()).to.equal(201);
}

export async function unsetTransition(endpoint: string, model: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/state-manager/unset-transition`, { method: 'POST', body: JSON.stringify({ model_name: model }) });
  expect(res.status, await res.text()).to.equal(201);
}
