/**
 * ZooKeeper sessions a dead broker left behind: recognising the failure they cause, when
 * ZooKeeper will have expired them, and waiting them out before starting the broker again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { sleep } from '../lib/async.js';
import { readFrom } from './processes.js';
import { isRunning, type MemberState } from './state.js';

/*
 * Stale ZooKeeper registrations.
 *
 * A ZooKeeper-mode broker registers as the ephemeral znode /brokers/ids/<id>, owned by its
 * ZooKeeper session. When the broker dies without closing the session (SIGKILL, a crash, a
 * reboot), the znode stays until ZooKeeper expires the session: zookeeper.session.timeout.ms
 * (18 s) after the last heartbeat, or, when ZooKeeper restarts too, 18 s after it restored
 * the session from its snapshot and log. A new broker with that id exits at start-up with
 * NodeExistsException. Worse, a failed `up` stopped ZooKeeper again a few seconds later,
 * before the session could expire, so every later `up` restored it again and failed the
 * same way until `down --purge` threw the data away.
 *
 * The fix waits the session out and starts the broker again. Why not the alternatives:
 *  - deleting /brokers/ids/<id> of a dead broker: does not suffice when the dead process was
 *    the controller (/controller is an ephemeral of the same session, and no broker takes
 *    over before it goes), deleting /controller too races with the election of a live
 *    broker, and it needs a ZooKeeper client the stack does not have (only a zookeeper-shell
 *    JVM), writing behind the Kafka controller's back what ZooKeeper does by itself anyway;
 *  - a shorter zookeeper.session.timeout.ms: it only shortens the wait, and a live broker on a
 *    busy laptop would then lose its session and leadership on a few seconds' stall (Kafka
 *    raised the default from 6 s to 18 s for that reason, KIP-537).
 * The trigger is the broker's own log line for exactly this failure, so a normal start pays
 * nothing; after an unclean end the first attempt is wasted (a few seconds) and the wait is
 * at most one session timeout. KRaft needs none of this: a node whose previous incarnation
 * is still registered with the controller retries by itself (DUPLICATE_BROKER_REGISTRATION)
 * until broker.session.timeout.ms (9 s) expires it.
 */

/** Kafka 3.9's zookeeper.session.timeout.ms when server.properties does not set it. */
const KAFKA_ZK_SESSION_TIMEOUT_MS = 18_000;
/** ZooKeeper's expirer thread and the close-session transaction take a moment after the deadline. */
const EXPIRY_MARGIN_MS = 1_000;
/** Pause before another attempt when a registration outlives the computed deadline. */
const STALE_RETRY_PAUSE_MS = 2_000;

/** True when a broker's start-up log shows it failed because /brokers/ids/<id> already existed. Pure. */
export function isStaleRegistrationFailure(log: string, brokerId: number): boolean {
  const line = new RegExp(`creating ephemeral at /brokers/ids/${brokerId}, node already exists`);
  return line.test(log) || (log.includes('NodeExistsException') && log.includes('KafkaZkClient.registerBroker'));
}

/**
 * When ZooKeeper has expired, at the latest, the session of a broker process that was gone
 * at `since` (or, for a ZooKeeper started then, whose session it restored then). ZooKeeper
 * clamps session timeouts to 2..20 ticks and expires sessions on tick boundaries. Pure.
 */
export function staleSessionExpiresBy(since: number, brokerProperties: string, zooCfg: string): number {
  const tick = Number(propertyOf(zooCfg, 'tickTime') ?? 2000);
  const requested = Number(propertyOf(brokerProperties, 'zookeeper.session.timeout.ms') ?? KAFKA_ZK_SESSION_TIMEOUT_MS);
  const timeout = Math.min(Math.max(requested, 2 * tick), 20 * tick);
  return since + timeout + tick + EXPIRY_MARGIN_MS;
}

/** The value of `key` in a Java properties text (the simple `key=value` lines we write). Pure. */
function propertyOf(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && line.slice(0, i).trim() === key) return line.slice(i + 1).trim();
  }
  return undefined;
}

export function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Called by `waitForBrokers` with the brokers found dead; true when they were started again. */
export type OnDeadBrokers = (dead: MemberState[], deadline: number) => Promise<boolean>;

export interface StaleRecovery {
  /** Size of each started broker's log before its latest start: its lines follow. */
  readonly logStarts: ReadonlyMap<number, number>;
  readonly expiresBy: number;
  readonly brokers: readonly MemberState[];
  readonly relaunch: (m: MemberState) => void;
  readonly step: (message: string) => void;
}

/**
 * When every dead broker died of a stale registration, waits until ZooKeeper has expired
 * the old sessions and starts them again; false (the caller reports the death) otherwise.
 */
export async function recoverStaleRegistrations(dead: MemberState[], deadline: number, r: StaleRecovery): Promise<boolean> {
  const diedStale = (m: MemberState): boolean =>
    r.logStarts.has(m.id) && !isRunning(m) && isStaleRegistrationFailure(readFrom(m.logFile, r.logStarts.get(m.id)!), m.id);
  if (!dead.every(diedStale)) return false;
  const waitMs = Math.max(r.expiresBy - Date.now(), STALE_RETRY_PAUSE_MS);
  const which = dead.map((m) => `broker ${m.id}`).join(', ');
  if (Date.now() + waitMs > deadline) {
    throw new Error(
      `${which} cannot register before ZooKeeper expires the session of the previous process (in about ` +
        `${Math.ceil(waitMs / 1000)}s), which is after the start-up timeout; run \`tickstream stack up\` again with a longer --timeout`,
    );
  }
  const previous = dead.length > 1 ? 'their previous processes, which' : 'its previous process, which';
  r.step(
    `${which} exited: ZooKeeper still holds the registration of ${previous} ended without shutting down (killed or ` +
      `crashed); waiting ${Math.ceil(waitMs / 1000)}s for ZooKeeper to expire the old session, then starting again (data is kept)`,
  );
  await sleep(waitMs);
  // Brokers that failed the same way during the wait go too, so one wait covers them all.
  for (const m of r.brokers.filter(diedStale)) r.relaunch(m);
  return true;
}
