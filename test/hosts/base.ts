/**
 * The base root file system of the test hosts: Debian 12 (bookworm) from Debian's packages
 * (debootstrap, minbase plus systemd, sshd, sudo, python3), set up like the EC2 Debian AMI
 * (user `admin` with passwordless sudo, no password logins). Built once and cached outside
 * the repository, keyed by everything that goes into it; built under a lock into a
 * temporary folder renamed into place at the end, so a half-built base is never used.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SUITE = 'bookworm';
export const BASE_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'python3', 'iproute2', 'openssh-server', 'sudo'] as const;
/** Bump when the recipe below changes in a way the key does not see. */
const RECIPE_VERSION = 1;

/** ${XDG_CACHE_HOME:-$HOME/.cache}/tickstream/hosts: the base, the shared apt cache, the runs. */
export function hostsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tickstream', 'hosts');
}

export interface AptSource {
  readonly uri: string;
  readonly suites: readonly string[];
}

/**
 * The Debian repositories apt on this machine uses, from the text of its sources files
 * (deb822 `.sources` stanzas or one-line `deb URI SUITE ...` entries). Pure.
 */
export function parseAptSources(texts: readonly string[]): AptSource[] {
  const out: AptSource[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (m) out.push({ uri: m[1]!, suites: [m[2]!] });
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string): string | undefined =>
        new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza.replace(/^#.*$/gm, ''))?.[1]?.trim();
      const types = field('Types');
      const uris = field('URIs');
      const suites = field('Suites');
      if (!types || !uris || !suites || !types.split(/\s+/).includes('deb')) continue;
      if (field('Enabled') === 'no') continue;
      for (const uri of uris.split(/\s+/)) out.push({ uri, suites: suites.split(/\s+/) });
    }
  }
  return out;
}

/** The mirror that carries SUITE itself (not -updates or -security): what debootstrap needs. */
export function debianMirror(sources: readonly AptSource[], suite = SUITE): string {
  const found = sources.find((s) => s.suites.includes(suite));
  if (!found) {
    throw new Error(`no apt source of this machine carries Debian ${suite} (read /etc/apt/sources.list and sources.list.d/); ` +
      'the test hosts are built from the mirror apt already uses');
  }
  return found.uri;
}

/** The text of this machine's apt sources files that are in use. */
export function readAptSources(): { file: string; text: string }[] {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const name of readdirSync('/etc/apt/sources.list.d').sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(join('/etc/apt/sources.list.d', name));
    }
  }
  return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** The cache key: the suite, the packages, the mirror and the recipe. Pure. */
export function baseKey(mirror: string, packages: readonly string[] = BASE_PACKAGES, suite = SUITE): string {
  return createHash('sha256')
    .update(JSON.stringify({ suite, variant: 'minbase', packages: [...packages].sort(), mirror, recipe: RECIPE_VERSION }))
    .digest('hex')
    .slice(0, 12);
}

export interface Base {
  readonly dir: string;
  /** Whether this call built it (false: it came from the cache). */
  readonly built: boolean;
  readonly seconds: number;
}

/**
 * The shell script that builds the base into $TMP and renames it to $BASE. Runs under
 * `flock`, so a second run waits for the first and then finds the base made.
 */
function buildScript(): string {
  return `
set -eu
[ -d "$BASE" ] && exit 0
rm -rf "$TMP"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$TMP" "$MIRROR"
# apt inside the hosts uses the same repositories as this machine (updates and security too).
rm -f "$TMP/etc/apt/sources.list"
for f in $SOURCE_FILES; do cp "$f" "$TMP/etc/apt/sources.list.d/"; done
cp /etc/resolv.conf "$TMP/etc/resolv.conf"
chroot "$TMP" apt-get update -qq
chroot "$TMP" apt-get clean
# The EC2 Debian AMI's default user: admin, passwordless sudo (cloud-init writes the same rule).
chroot "$TMP" useradd --create-home --shell /bin/bash admin
echo 'admin ALL=(ALL) NOPASSWD:ALL' > "$TMP/etc/sudoers.d/90-cloud-init-users"
chmod 0440 "$TMP/etc/sudoers.d/90-cloud-init-users"
printf 'PasswordAuthentication no\\nKbdInteractiveAuthentication no\\nPermitRootLogin no\\nUseDNS no\\n' \\
  > "$TMP/etc/ssh/sshd_config.d/10-tickstream.conf"
# Per host, not shared: its name (nspawn -M sets it when /etc/hostname is absent), its
# machine id (made at first boot) and its SSH host keys (made when the host is created).
rm -f "$TMP/etc/hostname" "$TMP"/etc/ssh/ssh_host_*
: > "$TMP/etc/machine-id"
mv "$TMP" "$BASE"
`;
}

/** What the suite runs on this machine, and the Debian package that brings each. */
const HOST_TOOLS: ReadonlyArray<readonly [command: string, pkg: string]> = [
  ['debootstrap', 'debootstrap'],
  ['systemd-nspawn', 'systemd-container'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['openssl', 'openssl'], // the playbook's private CA is made on the controller
];

/**
 * Installs what the suite needs on this machine when it is missing (as root, from the
 * machine's own apt sources), so `npm run test:hosts` works on a fresh Debian machine;
 * without root or apt it fails naming the packages.
 */
export async function ensureHostTools(log: (line: string) => void = () => {}): Promise<void> {
  const missing: string[] = [];
  for (const [command, pkg] of HOST_TOOLS) if (!(await commandExists(command)) && !missing.includes(pkg)) missing.push(pkg);
  if (missing.length === 0) return;
  const install = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0 || !(await commandExists('apt-get'))) {
    throw new Error(`the host suite needs ${missing.join(', ')}: run \`${install}\` as root (bash .ci/run does it)`);
  }
  log(`installing ${missing.join(' ')} (apt-get)`);
  await runScript(['sh', '-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${install} -qq`], {});
}

/** The cached base for the current mirror and package list, built first when missing. */
export async function ensureBase(log: (line: string) => void = () => {}): Promise<Base> {
  await ensureHostTools(log);
  const started = Date.now();
  const sources = readAptSources().filter((s) => parseAptSources([s.text]).length > 0);
  const mirror = debianMirror(parseAptSources(sources.map((s) => s.text)));
  const cache = hostsCacheDir();
  mkdirSync(cache, { recursive: true });
  const dir = join(cache, `base-${SUITE}-${baseKey(mirror)}`);
  if (existsSync(dir)) return { dir, built: false, seconds: 0 };
  for (const tool of ['debootstrap', 'flock', 'chroot']) {
    if (!(await commandExists(tool))) {
      throw new Error(`${tool} is not installed: the host suite's setup step is ` +
        '`apt-get install debootstrap systemd-container openssh-client` (bash .ci/run does it)');
    }
  }
  log(`building the Debian ${SUITE} base in ${dir} from ${mirror} (a few minutes, once)`);
  await runScript(['flock', '-w', '1800', `${dir}.lock`, 'bash', '-c', buildScript()], {
    BASE: dir,
    TMP: `${dir}.partial`,
    SUITE,
    MIRROR: mirror,
    PACKAGES: BASE_PACKAGES.join(','),
    SOURCE_FILES: sources.map((s) => s.file).join(' '),
  });
  return { dir, built: true, seconds: (Date.now() - started) / 1000 };
}

function commandExists(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `command -v ${name}`], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    child.on('exit', (code) => resolve(code === 0));
  });
}

function runScript(argv: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`building the base failed (exit ${code}):\n${output.split('\n').slice(-40).join('\n')}`));
    });
  });
}
