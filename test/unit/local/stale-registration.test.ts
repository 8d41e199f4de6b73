import { expect } from 'chai';
import { brokerConfig, zookeeperConfig, type StackLayout } from '../../../local/render.js';
import { isStaleRegistrationFailure, staleSessionExpiresBy } from '../../../local/zk-sessions.js';

// What a Kafka 3.9.2 broker logs when /brokers/ids/1 still belongs to a dead process's session.
const NODE_EXISTS_LOG = [
  '[2026-11-27 01:21:46,995] INFO Creating /brokers/ids/1 (is it secure? false) (kafka.zk.KafkaZkClient)',
  "[2026-11-27 01:21:47,023] ERROR Error while creating ephemeral at /brokers/ids/1, node already exists and owner '0x1000170f0670000' does not match current session '0x10001710ecb0000' (kafka.zk.KafkaZkClient$CheckedEphemeral)",
  '[2026-11-27 01:21:47,029] ERROR [KafkaServer id=1] Fatal error during KafkaServer startup. Prepare to shutdown (kafka.server.KafkaServer)',
  'org.apache.zookeeper.KeeperException$NodeExistsException: KeeperErrorCode = NodeExists',
  '\tat kafka.zk.KafkaZkClient$CheckedEphemeral.getAfterNodeExists(KafkaZkClient.scala:2251)',
  '\tat kafka.zk.KafkaZkClient.registerBroker(KafkaZkClient.scala:111)',
  '\tat kafka.server.KafkaServer.startup(KafkaServer.scala:407)',
].join('\n');

describe('local stack: stale ZooKeeper registrations', () => {
  it('recognises the start-up failure of a broker whose id is still registered', () => {
    expect(isStaleRegistrationFailure(NODE_EXISTS_LOG, 1)).to.equal(true);
    // The stack trace alone (another wording of the error line) is enough.
    expect(isStaleRegistrationFailure(NODE_EXISTS_LOG.split('\n').slice(2).join('\n'), 1)).to.equal(true);
  });

  it('does not take other failures for it', () => {
    expect(isStaleRegistrationFailure(NODE_EXISTS_LOG.split('\n').slice(0, 2).join('\n').replaceAll('/ids/1', '/ids/11'), 1)).to.equal(false);
    expect(isStaleRegistrationFailure('ERROR Exiting Kafka due to fatal exception during startup.\njava.net.BindException: Address already in use', 1)).to.equal(false);
    expect(isStaleRegistrationFailure('', 1)).to.equal(false);
  });

  it('bounds the expiry of the old session by the session timeout of the stack config', () => {
    const layout: StackLayout = {
      mode: 'zookeeper',
      host: '127.0.0.1',
      nodes: [{ id: 1, clientPort: 9092, dataDir: '/s/node-1/data', logDir: '/s/node-1', rack: 'a' }],
      zookeeperPort: 2181,
    };
    const server = brokerConfig(layout, layout.nodes[0]!);
    const zoo = zookeeperConfig(2181, '/s/zookeeper/data', '127.0.0.1');
    // Kafka's 18 s default, plus one 2 s tick of ZooKeeper's rounding, plus a second of margin.
    expect(staleSessionExpiresBy(1_000_000, server, zoo)).to.equal(1_000_000 + 18_000 + 2_000 + 1_000);
    expect(staleSessionExpiresBy(0, 'zookeeper.session.timeout.ms=6000\n', 'tickTime=1000\n')).to.equal(6_000 + 1_000 + 1_000);
  });

  it('applies the limits ZooKeeper puts on session timeouts (2 to 20 ticks)', () => {
    expect(staleSessionExpiresBy(0, 'zookeeper.session.timeout.ms=60000\n', 'tickTime=2000\n')).to.equal(40_000 + 2_000 + 1_000);
    expect(staleSessionExpiresBy(0, 'zookeeper.session.timeout.ms=1000\n', 'tickTime=2000\n')).to.equal(4_000 + 2_000 + 1_000);
  });
});
