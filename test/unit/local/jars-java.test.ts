import { expect } from 'chai';
import { distributionFor, libsDirFor, pomProperty } from '../../../local/jars.js';
import { parseJavaMajor } from '../../../local/processes.js';

describe('Kafka distributions and Java', () => {
  it('pins Kafka 3.9.x for ZooKeeper mode and Kafka 4.x for KRaft', () => {
    const zk = distributionFor('zookeeper');
    const kraft = distributionFor('kraft');
    expect(zk.kafkaVersion).to.match(/^3\.9\.\d+$/);
    expect(kraft.kafkaVersion).to.match(/^4\.\d+\.\d+$/);
    expect(zk.kafkaMajor).to.equal(3);
    expect(kraft.kafkaMajor).to.equal(4);
  });

  it('keys the jar cache by version and pom content, so a changed pin fetches a new set', () => {
    const a = libsDirFor(distributionFor('zookeeper'), '/cache');
    const b = libsDirFor(distributionFor('kraft'), '/cache');
    expect(a).to.match(/^\/cache\/kafka-3\.9\.\d+-[0-9a-f]{10}\/libs$/);
    expect(a).not.to.equal(b);
  });

  it('reads pom properties and says which one is missing', () => {
    expect(pomProperty('<properties><kafka.version> 3.9.2 </kafka.version></properties>', 'kafka.version')).to.equal('3.9.2');
    expect(() => pomProperty('<project/>', 'kafka.version')).to.throw(/kafka\.version/);
  });

  it('reads the Java major version from both version schemes', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).to.equal(17);
    expect(parseJavaMajor('openjdk version "25" 2025-09-16')).to.equal(25);
    expect(parseJavaMajor('java version "1.8.0_392"')).to.equal(8);
    expect(() => parseJavaMajor('garbage')).to.throw(/Java version/);
  });
});
