/**
 * The real-data lane: the replay suite of test/integration/producer/replay.test.ts on the
 * real Kaggle files, into the shared broker (TICKSTREAM_KAFKA_BOOTSTRAP).
 */
import { realKaggle } from '../support/market-data.js';
import { describeKaggleReplay } from '../integration/producer/kaggle-replay.js';

describeKaggleReplay('real data: CSV replay of the Kaggle files into Kafka (shared broker)', realKaggle);
