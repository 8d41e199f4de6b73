/**
 * The hosts of one metadata mode and the Ansible inventory that reaches them over SSH, as
 * an inventory of EC2 hosts would (ansible_host, the `admin` user, a key, `become` from
 * site.yml). Pure: the test writes what `inventoryFor` returns.
 *
 * What differs from EC2, and why (test/hosts/README.md, "What differs from EC2"):
 *   - every host shares this machine's network namespace, so each binds its services to its
 *     own loopback address (kafka_bind_host, zookeeper_bind_host, the metrics host) instead
 *     of every interface;
 *   - for the same reason a connection between hosts comes from 127.0.0.1, which ZooKeeper's
 *     mutual TLS checks against the certificate: the certificates name it too;
 *   - /proc/sys is read-only in a container: the brokers' kernel settings are written but
 *     not applied (kafka_broker_apply_sysctl false);
 *   - small heaps and a light JVM: eight hosts share two cores.
 * Security settings (listeners, SCRAM users, TLS) are the roles' defaults; `vars` overrides
 * any of them, so the same suite runs a secured cluster.
 */
import type { HostSpec } from './machines.js';

export type Mode = 'zookeeper' | 'kraft';
export type Group = 'zookeeper' | 'kafka_controller' | 'kafka_broker' | 'tickstream_producer' | 'tickstream_sink';

export interface PlannedHost extends HostSpec {
  readonly group: Group;
  readonly nodeId: number;
}

/** ZooKeeper-mode hosts live on 127.0.1.0/24, KRaft-mode hosts on 127.0.2.0/24. */
export const SUBNET: Record<Mode, string> = { zookeeper: '127.0.1', kraft: '127.0.2' };

/** A fixed KRaft cluster id: every node formats with it (22 characters of URL-safe base64). */
export const KRAFT_CLUSTER_ID = 'dGlja3N0cmVhbS1ob3N0cw'; // base64url of "tickstream-hosts"

/** JVM flags of the test nodes: quick to start, little CPU when idle. */
const LIGHT_JVM = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Djava.awt.headless=true';

/**
 * One host per ZooKeeper member or KRaft controller, per broker, a producer and a sink.
 * Node ids: metadata nodes 101.., brokers 1.. (KRaft brokers and controllers share one id space).
 */
export function planHosts(mode: Mode, counts: { metadata?: number; brokers?: number } = {}): PlannedHost[] {
  const net = SUBNET[mode];
  const metadata = counts.metadata ?? 3;
  const brokers = counts.brokers ?? 3;
  const hosts: PlannedHost[] = [];
  const metaName = mode === 'zookeeper' ? 'zk' : 'controller';
  const metaGroup: Group = mode === 'zookeeper' ? 'zookeeper' : 'kafka_controller';
  for (let i = 1; i <= metadata; i++) hosts.push({ name: `${metaName}-${i}`, address: `${net}.${10 + i}`, group: metaGroup, nodeId: 100 + i });
  for (let i = 1; i <= brokers; i++) hosts.push({ name: `broker-${i}`, address: `${net}.${20 + i}`, group: 'kafka_broker', nodeId: i });
  hosts.push({ name: 'producer-1', address: `${net}.31`, group: 'tickstream_producer', nodeId: 1 });
  hosts.push({ name: 'sink-1', address: `${net}.41`, group: 'tickstream_sink', nodeId: 1 });
  return hosts;
}

export interface InventoryOptions {
  readonly mode: Mode;
  /** The private key of this run (the hosts' admin user trusts its public half). */
  readonly sshKey: string;
  /** The S3 server the sink writes the lake to (moto on this machine), and the lake's URL. */
  readonly s3Endpoint: string;
  readonly lake: string;
  /** Ticks per second of the producer's simulated feed. */
  readonly producerRate: number;
  /** Overrides of any role setting, applied last (e.g. SASL_SSL listeners and SCRAM users). */
  readonly vars?: Record<string, unknown>;
}

/** moto accepts any credentials; these are not secrets. */
const MOTO_AWS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };

export function inventoryFor(hosts: readonly PlannedHost[], o: InventoryOptions): Record<string, unknown> {
  const allVars: Record<string, unknown> = {
    ansible_user: 'admin',
    ansible_ssh_private_key_file: o.sshKey,
    // A new host key every run: nothing to pin, nothing to remember.
    ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes',
    ansible_python_interpreter: '/usr/bin/python3',
    tickstream_environment: 'hosts',
    kafka_metadata_mode: o.mode,
    ...(o.mode === 'kraft' ? { kafka_cluster_id: KRAFT_CLUSTER_ID } : {}),
    kafka_broker_heap: '320m',
    kafka_controller_heap: '192m',
    zookeeper_heap: '128m',
    kafka_tools_heap: '128m',
    kafka_jvm_performance_opts: LIGHT_JVM,
    zookeeper_jvm_opts: LIGHT_JVM,
    kafka_broker_apply_sysctl: false,
    // A connection from one host to another leaves from 127.0.0.1 (lo's first address), not
    // from the host's own, and ZooKeeper checks that address against the peer's certificate
    // (members among themselves, brokers to members): every certificate names it too.
    tickstream_pki_extra_names: ['127.0.0.1', 'localhost'],
    kafka_offsets_topic_partitions: 10,
    kafka_group_initial_rebalance_delay_ms: 0,
    kafka_healthy_delay_sec: 2,
    kafka_healthy_retries: 120,
    tickstream_service_max_old_space_mb: 256,
  };
  const byGroup = (g: Group): PlannedHost[] => hosts.filter((h) => h.group === g);
  const hostVars = (h: PlannedHost): Record<string, unknown> => ({
    ansible_host: h.address,
    private_dns: h.address,
    node_id: h.nodeId,
    // Each host binds to its own address: they share this machine's network namespace.
    kafka_bind_host: h.address,
    zookeeper_bind_host: h.address,
    tickstream_service_metrics_host: h.address,
    ...(h.group === 'kafka_broker' ? { az: `az-${'abc'[(h.nodeId - 1) % 3]}` } : {}),
  });
  const group = (g: Group, vars: Record<string, unknown> = {}): Record<string, unknown> => ({
    hosts: Object.fromEntries(byGroup(g).map((h) => [h.name, hostVars(h)])),
    ...(Object.keys(vars).length > 0 ? { vars } : {}),
  });
  return {
    all: {
      vars: { ...allVars, ...(o.vars ?? {}) },
      children: {
        zookeeper: group('zookeeper'),
        kafka_controller: group('kafka_controller'),
        kafka_broker: group('kafka_broker'),
        tickstream_producer: group('tickstream_producer', {
          // A live feed from the simulator that runs until stopped: a service, not a batch job.
          tickstream_service_env: {
            TICKSTREAM_PRODUCER_SYMBOLS: 'AAPL:190,MSFT:420,NVDA:120,AMZN:180',
            TICKSTREAM_PRODUCER_RATE: String(o.producerRate),
            TICKSTREAM_PRODUCER_COUNT: '0',
            TICKSTREAM_PRODUCER_PROGRESS: 'log',
          },
        }),
        tickstream_sink: group('tickstream_sink', {
          tickstream_service_env: {
            TICKSTREAM_LAKE: o.lake,
            TICKSTREAM_S3_ENDPOINT: o.s3Endpoint,
            ...MOTO_AWS,
            // Small files often: the test reads the lake while the feed runs.
            TICKSTREAM_SINK_ROTATE_EVENT_MS: '60000',
            TICKSTREAM_SINK_FLUSH_INTERVAL_MS: '5000',
            TICKSTREAM_SINK_IDLE_FLUSH_MS: '3000',
          },
        }),
      },
    },
  };
}
