import { expect } from 'chai';
import { brokerConfig, clusterIdFromBytes, log4jConfig, loggingJvmArgs, zookeeperConfig, type StackLayout } from '../../../local/render.js';

function parse(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const nodes = [1, 2, 3].map((id) => ({
  id,
  clientPort: 9091 + id,
  controllerPort: 9191 + id,
  dataDir: `/s/node-${id}/data`,
  logDir: `/s/node-${id}`,
  rack: `r${id}`,
}));

describe('local stack config rendering', () => {
  it('renders a ZooKeeper-mode broker with the durability rules of the design', () => {
    const layout: StackLayout = { mode: 'zookeeper', host: '127.0.0.1', nodes, zookeeperPort: 2181 };
    const p = parse(brokerConfig(layout, nodes[1]!));
    expect(p['broker.id']).to.equal('2');
    expect(p.listeners).to.equal('PLAINTEXT://127.0.0.1:9093');
    expect(p['advertised.listeners']).to.equal('PLAINTEXT://127.0.0.1:9093');
    expect(p['zookeeper.connect']).to.equal('127.0.0.1:2181');
    expect(p['auto.create.topics.enable']).to.equal('false');
    expect(p['unclean.leader.election.enable']).to.equal('false');
    expect(p['default.replication.factor']).to.equal('3');
    expect(p['min.insync.replicas']).to.equal('2');
    expect(p['offsets.topic.replication.factor']).to.equal('3');
    expect(p['broker.rack']).to.equal('r2');
    expect(p['log.dirs']).to.equal('/s/node-2/data');
    expect(p).not.to.have.property('process.roles');
  });

  it('caps replication settings on a single broker so internal topics can be created', () => {
    const one = [nodes[0]!];
    const p = parse(brokerConfig({ mode: 'zookeeper', host: '127.0.0.1', nodes: one, zookeeperPort: 2181 }, one[0]!));
    expect(p['default.replication.factor']).to.equal('1');
    expect(p['min.insync.replicas']).to.equal('1');
    expect(p['transaction.state.log.min.isr']).to.equal('1');
  });

  it('renders KRaft combined nodes with every voter and a controller listener', () => {
    const p = parse(brokerConfig({ mode: 'kraft', host: '127.0.0.1', nodes }, nodes[2]!));
    expect(p['process.roles']).to.equal('broker,controller');
    expect(p['node.id']).to.equal('3');
    expect(p['controller.quorum.voters']).to.equal('1@127.0.0.1:9192,2@127.0.0.1:9193,3@127.0.0.1:9194');
    expect(p.listeners).to.equal('PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9194');
    expect(p['advertised.listeners']).to.equal('PLAINTEXT://127.0.0.1:9094');
    expect(p['controller.listener.names']).to.equal('CONTROLLER');
    expect(p).not.to.have.property('zookeeper.connect');
  });

  it('refuses layouts that cannot work', () => {
    expect(() => brokerConfig({ mode: 'zookeeper', host: '127.0.0.1', nodes }, nodes[0]!)).to.throw(/ZooKeeper port/);
    const noController = [{ ...nodes[0]!, controllerPort: undefined }];
    expect(() => brokerConfig({ mode: 'kraft', host: '127.0.0.1', nodes: noController }, noController[0]!)).to.throw(/controller port/);
  });

  it('keeps ZooKeeper on loopback without the admin server', () => {
    const p = parse(zookeeperConfig(2181, '/s/zk', '127.0.0.1'));
    expect(p.clientPort).to.equal('2181');
    expect(p.clientPortAddress).to.equal('127.0.0.1');
    expect(p['admin.enableServer']).to.equal('false');
    expect(p['4lw.commands.whitelist']).to.include('ruok');
  });

  it('points each Kafka line at its own logging system', () => {
    expect(loggingJvmArgs(3, '/s/log4j.properties', '/s')[0]).to.equal('-Dlog4j.configuration=file:/s/log4j.properties');
    expect(loggingJvmArgs(4, '/s/log4j2.properties', '/s')[0]).to.equal('-Dlog4j2.configurationFile=/s/log4j2.properties');
    expect(parse(log4jConfig('/s/server.log'))['log4j.appender.file.File']).to.equal('/s/server.log');
  });

  it('makes KRaft cluster ids as Kafka prints them, never starting with a dash', () => {
    const id = clusterIdFromBytes(Uint8Array.from({ length: 16 }, (_, i) => i + 1));
    expect(id).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(clusterIdFromBytes(Uint8Array.from([0xfb, ...new Array<number>(15).fill(1)]))).to.equal(null);
    expect(clusterIdFromBytes(new Uint8Array(16))).to.equal(null);
    expect(() => clusterIdFromBytes(new Uint8Array(3))).to.throw(/16 bytes/);
  });
});
