/**
 * The real-data lane (`npm run test:real-data`, TICKSTREAM_REAL_DATA): the CSV replay
 * suite of test/unit/producer/csv.test.ts on the real Kaggle files, without Kafka.
 */
import { realKaggle } from '../support/market-data.js';
import { describeKaggleCsv } from '../support/suites/kaggle-csv.js';

describeKaggleCsv('real data: CSV replay of the Kaggle files (no Kafka)', realKaggle);
