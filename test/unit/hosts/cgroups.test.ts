import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enterGroupsScript, hostGroups, systemdHierarchies } from '../../hosts/cgroups.js';

// Lines as /proc/self/mountinfo and /proc/self/cgroup show them on the three layouts.
const HYBRID_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const HYBRID_GROUPS = ['9:name=systemd:/', '4:memory:/process_api/14fd', '0::/'].join('\n');
const UNIFIED_MOUNTS = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate';
const UNIFIED_GROUPS = '0::/system.slice/ci-runner.service\n';

describe('host suite: a control group per host', () => {
  it('finds the named systemd hierarchy and the unified one on a hybrid layout', () => {
    expect(systemdHierarchies(HYBRID_MOUNTS, HYBRID_GROUPS)).to.deep.equal([
      { mount: '/sys/fs/cgroup/systemd', current: '/' },
      { mount: '/sys/fs/cgroup/unified', current: '/' },
    ]);
  });

  it('finds the one v2 hierarchy on a unified layout, below the group the suite runs in', () => {
    const h = systemdHierarchies(UNIFIED_MOUNTS, UNIFIED_GROUPS);
    expect(h).to.deep.equal([{ mount: '/sys/fs/cgroup', current: '/system.slice/ci-runner.service' }]);
    expect(hostGroups(h, 'run1-broker-1')).to.deep.equal(['/sys/fs/cgroup/system.slice/ci-runner.service/tickstream-hosts/run1-broker-1']);
  });

  it('ignores controllers systemd does not track units in', () => {
    expect(systemdHierarchies(HYBRID_MOUNTS, '4:memory:/x\n')).to.deep.equal([]);
  });

  it('moves the shell into every group before it runs the command, and stops when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), "cg-'quoted'-"));
    try {
      // Plain folders stand in for groups: the script makes them and writes its pid there.
      const groups = [join(dir, 'a'), join(dir, 'b')];
      const r = spawnSync('sh', ['-c', `${enterGroupsScript(groups)}exec "$@"`, 'sh', 'sh', '-c', 'echo $$'], { encoding: 'utf8' });
      expect(r.status).to.equal(0);
      const pid = r.stdout.trim();
      for (const g of groups) expect(readFileSync(join(g, 'cgroup.procs'), 'utf8').trim()).to.equal(pid);
      const refused = spawnSync('sh', ['-c', `${enterGroupsScript(['/proc/no-such/group'])}exec "$@"`, 'sh', 'true'], { encoding: 'utf8' });
      expect(refused.status).to.equal(97);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
