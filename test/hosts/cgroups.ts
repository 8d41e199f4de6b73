/**
 * A control group of its own for each test host.
 *
 * `systemd-nspawn --keep-unit --register=no` puts the container in a `payload` group below
 * the group nspawn itself runs in. Started from one process, every host gets the SAME
 * `payload`, so the hosts' systemd instances share `system.slice/<unit>.service` folders:
 * when two hosts start a unit of the same name at once, one may remove the folder the other
 * is about to move its process into, and that host's unit fails (exit status 219/CGROUP).
 * That is the "boot units fail now and then when many hosts boot" seen in CI
 * (systemd-user-sessions, systemd-update-utmp, systemd-remount-fs), and it can hit any unit
 * started on several hosts at the same moment. On EC2 every instance has its own kernel;
 * here each host gets its own group in the hierarchies systemd uses, and nspawn starts in it.
 */
import { readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One mounted cgroup hierarchy that systemd tracks units in. */
export interface Hierarchy {
  /** Where it is mounted, e.g. /sys/fs/cgroup/systemd. */
  readonly mount: string;
  /** This process's group in it, e.g. / or /user.slice/session-1.scope. */
  readonly current: string;
}

/**
 * The hierarchies systemd uses, from /proc/self/mountinfo and /proc/self/cgroup: the named
 * `systemd` v1 hierarchy (legacy and hybrid layouts) and the unified v2 one (hybrid and
 * unified layouts). Pure: the two files' text in, the hierarchies out.
 */
export function systemdHierarchies(mountinfo: string, cgroup: string): Hierarchy[] {
  const groups = new Map<string, string>(); // "name=systemd" or "" (v2) -> current path
  for (const line of cgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'name=systemd' || m[1] === '') groups.set(m[1], m[2]!);
  }
  const found: Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mount = line.slice(0, sep).split(' ')[4];
    const [fstype, , options = ''] = line.slice(sep + 3).split(' ');
    if (!mount) continue;
    if (fstype === 'cgroup2' && groups.has('')) found.push({ mount, current: groups.get('')! });
    if (fstype === 'cgroup' && options.split(',').includes('name=systemd') && groups.has('name=systemd')) {
      found.push({ mount, current: groups.get('name=systemd')! });
    }
  }
  return found;
}

/** The group folders for one host: `<mount><current>/tickstream-hosts/<id>` per hierarchy. */
export function hostGroups(hierarchies: readonly Hierarchy[], id: string): string[] {
  return hierarchies.map((h) => join(h.mount, h.current, 'tickstream-hosts', id));
}

/** The groups for a host of this process (read from /proc). */
export function hostGroupsHere(id: string): string[] {
  return hostGroups(systemdHierarchies(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8')), id);
}

/**
 * A shell prefix that moves the shell into each group (made if missing) before it `exec`s
 * the command after it: nspawn then starts, and makes its `payload`, inside the host's own
 * group. Run as `sh -c '<prefix> exec "$@"' sh <command...>`.
 */
export function enterGroupsScript(groups: readonly string[]): string {
  const quoted = groups.map((g) => `'${g.replaceAll("'", "'\\''")}'`).join(' ');
  return `for g in ${quoted}; do mkdir -p "$g" && echo $$ > "$g/cgroup.procs" || exit 97; done; `;
}

/**
 * Removes a host's groups once it is down (children first: nspawn leaves `payload` and
 * `supervisor` behind). A group that still holds a process stays; nothing else is touched.
 */
export function removeGroups(groups: readonly string[]): void {
  const remove = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      try {
        if (statSync(p).isDirectory()) remove(p);
      } catch {
        // gone meanwhile
      }
    }
    try {
      rmdirSync(dir);
    } catch {
      // busy (a process left) or already gone
    }
  };
  for (const g of groups) remove(g);
}
