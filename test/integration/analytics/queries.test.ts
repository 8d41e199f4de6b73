/**
 * The named queries on DuckDB over a lake of the generated Kaggle fixture
 * (test/fixtures/kaggle.ts): the suite in queries-suite.ts. The real files run the same
 * suite in the real-data lane (test/real-data/queries.test.ts).
 */
import { generatedKaggle } from '../../support/market-data.js';
import { describeQueries } from './queries-suite.js';

describeQueries('named queries on DuckDB over a lake of the generated index data', generatedKaggle);
