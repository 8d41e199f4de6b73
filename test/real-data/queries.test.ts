/**
 * The real-data lane: the named-query suite of test/integration/analytics/queries.test.ts
 * over a lake built from the real Kaggle indexData.csv (DuckDB, no services).
 */
import { realKaggle } from '../support/market-data.js';
import { describeQueries } from '../integration/analytics/queries-suite.js';

describeQueries('real data: named queries on DuckDB over a lake of the real index data', realKaggle);
