import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SINK_NODE_FLAGS, SINK_SEMI_SPACE_MIB, serviceNodeFlags } from '../../../lib/service-node-flags.js';
import { PROJECT_ROOT } from '../../support/tools.js';

const ROLE = join(PROJECT_ROOT, 'ansible', 'roles', 'tickstream_service');

describe('the services\' Node flags', () => {
  it('are the same on hosts (the role\'s NODE_OPTIONS) as locally and in the benchmarks', () => {
    const defaults = readFileSync(join(ROLE, 'defaults', 'main.yml'), 'utf8');
    const byService = /^tickstream_service_max_semi_space_mb_by_service:\n {2}producer: (\d+)\n {2}sink: (\d+)$/m.exec(defaults);
    expect(byService, 'tickstream_service_max_semi_space_mb_by_service in the role defaults').to.not.equal(null);
    expect(Number(byService![2]), 'the sink').to.equal(SINK_SEMI_SPACE_MIB);
    expect(Number(byService![1]), 'the producer (0: none)').to.equal(serviceNodeFlags('produce').length);
    const env = readFileSync(join(ROLE, 'templates', 'service.env.j2'), 'utf8');
    expect(env).to.match(/^NODE_OPTIONS=.*--max-semi-space-size=' ~ tickstream_service_max_semi_space_mb/m);
    expect(serviceNodeFlags('sink')).to.deep.equal([`--max-semi-space-size=${SINK_SEMI_SPACE_MIB}`]);
  });

  it('are flags this Node accepts', () => {
    // A flag Node does not know stops the process at start-up: the service would never run.
    for (const flag of SINK_NODE_FLAGS) expect(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!), flag).to.equal(true);
  });
});
