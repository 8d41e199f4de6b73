/**
 * The sink on the batch-native client (kafka.client=native): the crash and rebalance
 * scenario of the sink's suite (SIGKILL at random moments, a second member joining and
 * leaving), ending with every offset exactly once. The whole sink suite runs on this client
 * with `TICKSTREAM_KAFKA_CLIENT=native npm test -- test/integration/consumer`.
 */
import { crashScenario } from '../consumer/crash-scenario.js';

crashScenario('native');
