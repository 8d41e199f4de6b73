/**
 * Exactly-once under crashes and rebalances on node-rdkafka (the scenario is in
 * crash-scenario.ts; test/integration/native runs it on the batch addon).
 */
import { crashScenario } from './crash-scenario.js';

crashScenario('rdkafka');
