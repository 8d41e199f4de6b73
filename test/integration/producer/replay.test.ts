/**
 * Replaying the generated Kaggle fixture (the defects of the real files, test/fixtures/kaggle.ts)
 * into the shared broker, end to end: the suite in kaggle-replay.ts. The real files run the
 * same suite in the real-data lane (test/real-data/replay.test.ts).
 */
import { generatedKaggle } from '../../support/market-data.js';
import { describeKaggleReplay } from './kaggle-replay.js';

describeKaggleReplay('producer: CSV replay of the generated Kaggle fixture into Kafka (shared broker)', generatedKaggle);
