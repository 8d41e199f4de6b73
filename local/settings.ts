/**
 * Settings of the local stack (`tickstream stack ...`): where its state lives, which
 * metadata mode and how many brokers, and which loopback ports it takes.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { enumSetting, intSetting, stringSetting, type ConfigOf } from '../lib/config.js';
import { METADATA_MODES } from '../lib/kafka.js';

export const stackSettings = {
  dir: stringSetting({ env: 'TICKSTREAM_STACK_DIR', default: '.tickstream', doc: 'folder holding the stack state, data and logs' }),
  mode: enumSetting({
    env: 'TICKSTREAM_STACK_MODE',
    values: METADATA_MODES,
    default: 'zookeeper',
    doc: 'metadata mode: zookeeper (Kafka 3.9 + ZooKeeper) or kraft (Kafka 4)',
  }),
  brokers: intSetting({ env: 'TICKSTREAM_STACK_BROKERS', default: 1, min: 1, max: 9, doc: 'number of brokers (KRaft: combined broker+controller nodes)' }),
  port: intSetting({ env: 'TICKSTREAM_STACK_PORT', default: 9092, min: 1024, max: 65000, doc: 'client port of the first broker; broker i listens on port+i' }),
  controllerPort: intSetting({
    env: 'TICKSTREAM_STACK_CONTROLLER_PORT',
    default: 9192,
    min: 1024,
    max: 65000,
    doc: 'KRaft controller port of the first node; node i listens on controllerPort+i',
  }),
  zookeeperPort: intSetting({ env: 'TICKSTREAM_STACK_ZOOKEEPER_PORT', default: 2181, min: 1024, max: 65000, doc: 'ZooKeeper client port' }),
  heap: stringSetting({
    env: 'TICKSTREAM_STACK_HEAP',
    default: '512m',
    pattern: /^\d+[kmg]$/i,
    patternDoc: 'a JVM size such as 512m or 1g',
    doc: 'maximum JVM heap of each broker',
  }),
  startTimeoutSec: intSetting({ env: 'TICKSTREAM_STACK_START_TIMEOUT', default: 120, min: 5, doc: 'seconds to wait for every broker to answer' }),
  cacheDir: stringSetting({
    env: 'TICKSTREAM_CACHE',
    default: join(homedir(), '.cache', 'tickstream'),
    doc: 'cache folder for the Kafka jars fetched from Maven Central',
  }),
} as const;

export const stackSpec = { stack: stackSettings } as const;
export type StackConfig = ConfigOf<typeof stackSpec>['stack'];
