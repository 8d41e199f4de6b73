/**
 * Test hosts as real machines: each its own persistent overlay on the base root file system, booted
 * with systemd as PID 1 under systemd-nspawn, with its own name, its own loopback address
 * and an sshd bound only to it, reached as `admin` with a key made for this run, as an EC2
 * Debian host is. Every host shares one apt package cache (downloaded once, not per host).
 *
 * A fleet always powers off and removes what it started: `destroy()` (also on SIGINT and
 * SIGTERM), and a sweep at start removes the hosts of earlier runs whose process is gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { hostsCacheDir } from './base.js';
import { enterGroupsScript, hostGroupsHere, removeGroups } from './cgroups.js';

export interface HostSpec {
  readonly name: string;
  /** Its own loopback address (all of 127/8 is loopback): sshd and every service bind to it. */
  readonly address: string;
}

export interface SshResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Machine extends HostSpec {
  /** The host's root file system (persistent: a reboot keeps its state). */
  readonly root: string;
  /** The console output of systemd-nspawn (boot messages), for debugging. */
  readonly console: string;
  /** Its own control groups (test/hosts/cgroups.ts: why a host needs them). */
  readonly cgroups: readonly string[];
}

const SBIN_PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

/** ssh options: a fresh host key every run, no prompts, a short connect timeout. */
export function sshOptions(key: string): string[] {
  return ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'IdentitiesOnly=yes'];
}

function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Removes the hosts of earlier runs whose test process is gone: kills their nspawn
 * processes (only those whose command line names that run's folder) and deletes the folder.
 */
export function sweepStaleRuns(runsDir = join(hostsCacheDir(), 'runs'), log: (line: string) => void = () => {}): number {
  if (!existsSync(runsDir)) return 0;
  let swept = 0;
  for (const run of readdirSync(runsDir)) {
    const dir = join(runsDir, run);
    // The owner's pid is in the folder's name, so a run is never without its owner: the two
    // metadata modes start at once, and a pid written into the folder after creating it left
    // a moment in which the other run's sweep took the new folder for a stale one.
    const owner = Number(/^(\d+)-/.exec(run)?.[1] ?? 0);
    if (owner && pidAlive(owner) && cmdlineOf(owner).includes('node')) continue;
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      const pid = Number(readFileSafe(join(dir, name, 'nspawn.pid')));
      if (pid && pidAlive(pid) && cmdlineOf(pid).includes(dir)) {
        log(`stale host ${run}/${name}: killing systemd-nspawn ${pid}`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    unmountUnder(dir);
    for (const name of existsSync(dir) ? readdirSync(dir) : []) removeGroups(hostGroupsHere(`${run}-${name}`));
    rmSync(dir, { recursive: true, force: true });
    swept += 1;
  }
  return swept;
}

/** Unmounts every mount point under `dir` (the hosts' overlay roots), deepest first. */
export function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    const r = spawnSync('umount', [p], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', p]);
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
}

export class Fleet {
  readonly key: string;
  readonly machines: readonly Machine[];
  private readonly running = new Map<string, Running>();
  private destroyed = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    void this.destroy().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  private readonly onExit = (): void => {
    // Last resort when the process ends without destroy(): no host outlives its test.
    for (const r of this.running.values()) if (r.child.pid) spawnSync('kill', ['-KILL', String(r.child.pid)]);
  };

  private constructor(
    readonly runDir: string,
    readonly base: string,
    readonly aptCache: string,
    specs: readonly HostSpec[],
    private readonly log: (line: string) => void,
  ) {
    this.key = join(runDir, 'id_ed25519');
    this.machines = specs.map((s) => ({
      ...s,
      root: join(runDir, s.name, 'root'),
      console: join(runDir, s.name, 'console.log'),
      cgroups: hostGroupsHere(`${basename(runDir)}-${s.name}`),
    }));
  }

  /** Copies the base once per host and prepares each copy; boots none. */
  static create(base: string, specs: readonly HostSpec[], log: (line: string) => void = () => {}): Fleet {
    const cache = hostsCacheDir();
    const runsDir = join(cache, 'runs');
    sweepStaleRuns(runsDir, log);
    const runDir = join(runsDir, `${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(runDir, { recursive: true });
    const aptCache = join(cache, 'apt-archives');
    mkdirSync(join(aptCache, 'partial'), { recursive: true });
    const fleet = new Fleet(runDir, base, aptCache, specs, log);
    process.once('SIGINT', fleet.onSignal);
    process.once('SIGTERM', fleet.onSignal);
    process.once('exit', fleet.onExit);
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tickstream-hosts', '-f', fleet.key], { encoding: 'utf8' });
    if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);
    const publicKey = readFileSync(`${fleet.key}.pub`, 'utf8');
    const hostsFile = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', ...specs.map((s) => `${s.address} ${s.name}`)].join('\n') + '\n';
    for (const m of fleet.machines) fleet.prepare(m, publicKey, hostsFile);
    return fleet;
  }

  private prepare(m: Machine, publicKey: string, hostsFile: string): void {
    const hostDir = join(this.runDir, m.name);
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, 'apt-lock'), '');
    // The host's own layer over the shared, read-only base: created at once, persistent
    // (a reboot keeps every change), and the base is never written.
    for (const d of ['upper', 'work', 'root']) mkdirSync(join(hostDir, d), { recursive: true });
    const mount = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o',
      `lowerdir=${this.base},upperdir=${join(hostDir, 'upper')},workdir=${join(hostDir, 'work')}`, m.root], { encoding: 'utf8' });
    if (mount.status !== 0) throw new Error(`mounting the root of ${m.name} (overlay on ${this.base}) failed: ${mount.stderr}`);
    const etc = join(m.root, 'etc');
    writeFileSync(join(etc, 'hostname'), `${m.name}\n`);
    // Nothing to remount in a container (the root is a folder, not a file system of its own);
    // under load the service sometimes fails there and leaves the host "degraded".
    symlinkSync('/dev/null', join(etc, 'systemd', 'system', 'systemd-remount-fs.service'));
    writeFileSync(join(etc, 'hosts'), hostsFile);
    writeFileSync(join(etc, 'ssh', 'sshd_config.d', '20-address.conf'), `ListenAddress ${m.address}\n`);
    // Keep what apt downloads: the cache is shared by every host and every run.
    writeFileSync(join(etc, 'apt', 'apt.conf.d', '10-keep-downloads'), 'APT::Keep-Downloaded-Packages "true";\nBinary::apt::APT::Keep-Downloaded-Packages "true";\n');
    const keys = spawnSync('ssh-keygen', ['-A', '-f', m.root], { encoding: 'utf8' });
    if (keys.status !== 0) throw new Error(`ssh-keygen -A for ${m.name} failed: ${keys.stderr}`);
    const passwd = readFileSync(join(etc, 'passwd'), 'utf8').split('\n').find((l) => l.startsWith('admin:'));
    if (!passwd) throw new Error(`the base ${this.base} has no admin user`);
    const [, , uid, gid] = passwd.split(':').map(Number);
    const sshDir = join(m.root, 'home', 'admin', '.ssh');
    mkdirSync(sshDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(sshDir, 'authorized_keys'), publicKey, { mode: 0o600 });
    chownSync(sshDir, uid!, gid!);
    chownSync(join(sshDir, 'authorized_keys'), uid!, gid!);
  }

  /** The pids of the running hosts' systemd-nspawn processes. */
  pids(): number[] {
    return [...this.running.values()].flatMap((r) => (r.child.pid && r.child.exitCode === null ? [r.child.pid] : []));
  }

  /**
   * The control groups (name=systemd and v2 lines of /proc/PID/cgroup) of the host's PID 1,
   * seen from this machine: the child of its systemd-nspawn process.
   */
  initCgroups(m: Machine): string[] {
    const nspawn = this.running.get(m.name)?.child.pid;
    if (!nspawn) throw new Error(`${m.name} is not running`);
    const init = readFileSafe(`/proc/${nspawn}/task/${nspawn}/children`).trim().split(/\s+/)[0];
    if (!init) throw new Error(`${m.name}: systemd-nspawn ${nspawn} has no child`);
    return readFileSafe(`/proc/${init}/cgroup`).split('\n').filter((l) => /^\d+:(name=systemd)?:/.test(l));
  }

  machine(name: string): Machine {
    const m = this.machines.find((x) => x.name === name);
    if (!m) throw new Error(`no host ${name} in this fleet`);
    return m;
  }

  /** Starts one host's systemd-nspawn (systemd as PID 1 inside); does not wait for it. */
  start(m: Machine): void {
    if (this.destroyed) throw new Error('the fleet was destroyed');
    const hostDir = join(this.runDir, m.name);
    const out = openSync(m.console, 'a');
    // nspawn starts in the host's own control groups, so that its systemd shares no unit
    // group with another host's (test/hosts/cgroups.ts).
    const child = spawn(
      'sh',
      [
        '-c', `${enterGroupsScript(m.cgroups)}exec "$@"`, 'sh', 'systemd-nspawn',
        '-q', '-D', m.root, '--register=no', '--keep-unit', '--boot', '-M', m.name,
        // SIGTERM to nspawn powers the container off (the default, SIGRTMIN+3, halts it, and
        // a halted container never exits).
        '--kill-signal=SIGRTMIN+4',
        `--bind=${this.aptCache}:/var/cache/apt/archives`,
        // Per host: apt's lock, so one host's install never fails on another's. (A download
        // folder of its own would be another mount, and apt renames from it into the cache:
        // the harness downloads what the roles install first, through one host.)
        `--bind=${join(hostDir, 'apt-lock')}:/var/cache/apt/archives/lock`,
      ],
      { stdio: ['ignore', out, out], env: { ...process.env, PATH: SBIN_PATH, SYSTEMD_LOG_LEVEL: 'warning' } },
    );
    closeSync(out);
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(-1));
    });
    this.running.set(m.name, { child, exited });
    writeFileSync(join(hostDir, 'nspawn.pid'), `${child.pid}\n`);
  }

  /**
   * Runs a command on a host over SSH as admin (prefix `sudo` for root). `input` goes to its
   * standard input: the way to hand it something secret, which a command line would show to
   * every process on the host.
   */
  ssh(m: Machine, command: string, timeoutMs = 120_000, input?: string): Promise<SshResult> {
    return new Promise((resolve) => {
      const child = spawn('ssh', [...sshOptions(this.key), `admin@${m.address}`, command], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      if (input !== undefined) child.stdin!.end(input);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  /**
   * Downloads packages into the shared apt cache through one host, so that the hosts then
   * install them from the cache. Under a lock: two runs at once (the two metadata modes in
   * CI) would otherwise download the same file into the one shared download folder.
   */
  async warmAptCache(m: Machine, packages: readonly string[], timeoutMs = 900_000): Promise<void> {
    const command = `sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only ${packages.join(' ')}`;
    const r = await new Promise<SshResult>((resolve) => {
      const child = spawn('flock', ['-w', String(timeoutMs / 1000), `${this.aptCache}.lock`, 'ssh', ...sshOptions(this.key), `admin@${m.address}`, command],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
    if (r.code !== 0) throw new Error(`${m.name}: downloading ${packages.join(' ')} into the shared apt cache failed (${r.code}): ${r.stdout}${r.stderr}`);
  }

  /** Waits until systemd on the host reports `running` over SSH; fails with the failed units or the console. */
  async waitRunning(m: Machine, timeoutMs = 180_000): Promise<number> {
    const started = Date.now();
    let last = '';
    let retried = false;
    while (Date.now() - started < timeoutMs) {
      const r = this.running.get(m.name);
      if (r && r.child.exitCode !== null) {
        const why = r.child.exitCode === 97 ? ` (could not enter its control groups ${m.cgroups.join(', ')}: the host suite runs as root)` : '';
        throw new Error(`${m.name}: systemd-nspawn exited (${r.child.exitCode})${why}:\n${tail(m.console)}`);
      }
      const res = await this.ssh(m, 'systemctl is-system-running', 10_000);
      last = (res.stdout + res.stderr).trim();
      if (res.stdout.trim() === 'running') return (Date.now() - started) / 1000;
      if (res.stdout.trim() === 'degraded') {
        const failed = await this.ssh(m, 'systemctl --failed --no-legend --plain; sudo journalctl -b --no-pager -n 30 -u "$(systemctl --failed --no-legend --plain | cut -d" " -f1 | head -1)"', 10_000);
        // Boot housekeeping units (utmp, remount) now and then fail when many hosts boot on
        // a loaded machine; one restart is allowed, and logged. A second failure is real.
        if (retried) throw new Error(`${m.name} booted degraded; failed units and the first one's log:\n${failed.stdout}`);
        retried = true;
        this.log(`${m.name} booted degraded, restarting the failed units once:\n${failed.stdout}`);
        await this.ssh(m, 'for u in $(systemctl --failed --no-legend --plain | cut -d" " -f1); do sudo systemctl reset-failed "$u"; sudo systemctl restart "$u"; done', 60_000);
      }
      await sleep(1000);
    }
    throw new Error(`${m.name} (${m.address}) did not reach running in ${timeoutMs / 1000}s (last answer: ${last}):\n${tail(m.console)}`);
  }

  /** Boots every host at once and waits for all; returns seconds per host. */
  async bootAll(): Promise<Map<string, number>> {
    for (const m of this.machines) this.start(m);
    const times = await Promise.all(this.machines.map(async (m) => [m.name, await this.waitRunning(m)] as const));
    return new Map(times);
  }

  /**
   * Reboots a host from inside (`systemctl reboot`): nspawn ends the container, as EC2 ends
   * an instance's OS, and the harness boots the same root again (what systemd-nspawn@.service
   * does on exit status 133). Returns the seconds until it runs again.
   */
  async reboot(m: Machine): Promise<number> {
    const r = this.running.get(m.name);
    if (!r) throw new Error(`${m.name} is not running`);
    const started = Date.now();
    await this.ssh(m, 'sudo systemctl reboot', 15_000);
    const code = await Promise.race([r.exited, sleep(180_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') throw new Error(`${m.name} did not go down within 180s of systemctl reboot`);
    this.start(m);
    await this.waitRunning(m);
    return (Date.now() - started) / 1000;
  }

  /** Powers a host off cleanly (SIGTERM to nspawn: systemd shuts the container down), SIGKILL after a bound. */
  async powerOff(m: Machine, timeoutMs = 90_000): Promise<void> {
    const r = this.running.get(m.name);
    if (!r || r.child.exitCode !== null || r.child.signalCode !== null) return;
    r.child.kill('SIGTERM');
    const done = await Promise.race([r.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) {
      r.child.kill('SIGKILL');
      await Promise.race([r.exited, sleep(10_000)]);
    }
    this.running.delete(m.name);
    removeGroups(m.cgroups);
  }

  /** Powers off every host and deletes the run's folder. Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    // A cluster going down all at once cannot move leadership anywhere: the brokers'
    // controlled shutdown would wait out its retries. The hosts are thrown away anyway, so
    // each is told to power off at once, without stopping its services one by one
    // (`poweroff --force`: about a second instead of a minute); a host that does not answer
    // gets the orderly power-off, then SIGKILL.
    await Promise.all(this.machines.map(async (m) => {
      const r = this.running.get(m.name);
      if (r && r.child.exitCode === null && r.child.signalCode === null) {
        await this.ssh(m, 'sudo systemctl poweroff --force', 10_000);
        await Promise.race([r.exited, sleep(15_000)]);
      }
      await this.powerOff(m, 45_000);
    }));
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    process.removeListener('exit', this.onExit);
    unmountUnder(this.runDir);
    if (!process.env.TICKSTREAM_HOSTS_KEEP) rmSync(this.runDir, { recursive: true, force: true });
  }
}

function tail(file: string, lines = 40): string {
  return readFileSafe(file).split('\n').slice(-lines).join('\n');
}

/** Resident memory of every process under the given pids (the hosts' nspawn trees), in bytes. */
export function treeRssBytes(rootPids: readonly number[]): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      rss.set(pid, Number(fields[21]) * 4096);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // the process ended while we read
    }
  }
  let total = 0;
  const stack = [...rootPids];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}
