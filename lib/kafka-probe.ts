/**
 * A minimal Kafka wire-protocol client that asks one broker for cluster metadata.
 *
 * Why not node-rdkafka: librdkafka connects to every broker it learns of and answers from
 * whichever it likes, and it retries forever. Start-up checks need the opposite: ask this
 * one broker, once, with a deadline, and say exactly which broker did not answer. The
 * Metadata request (API key 3, version 4: non-flexible encoding, served by Kafka 1.0
 * through 4.x) is enough to see which brokers are registered, which is the controller,
 * and each partition's leader, replicas and in-sync replicas. On a secured listener it
 * speaks TLS (node:tls) and logs in with SASL SCRAM (`scram.ts`) or PLAIN first, as the
 * services' own settings say (`probeSecurity` in admin.ts).
 */
import { readFileSync } from 'node:fs';
import { isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { scramClient, type ScramMechanism } from './scram.js';

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly errorCode: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicInfo {
  readonly name: string;
  readonly errorCode: number;
  readonly internal: boolean;
  readonly partitions: readonly PartitionInfo[];
}

export interface ClusterMetadata {
  readonly brokers: readonly BrokerInfo[];
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly topics: readonly TopicInfo[];
}

const METADATA_API_KEY = 3;
const METADATA_VERSION = 4;

/** Encodes a Metadata v4 request; `topics` null asks for every topic. */
export function encodeMetadataRequest(correlationId: number, clientId: string, topics: readonly string[] | null): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(8);
  header.writeInt16BE(METADATA_API_KEY, 0);
  header.writeInt16BE(METADATA_VERSION, 2);
  header.writeInt32BE(correlationId, 4);
  parts.push(header, encodeString(clientId));
  const count = Buffer.alloc(4);
  count.writeInt32BE(topics === null ? -1 : topics.length, 0);
  parts.push(count);
  for (const t of topics ?? []) parts.push(encodeString(t));
  parts.push(Buffer.from([0])); // allow_auto_topic_creation = false
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

function encodeString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(bytes.length, 0);
  return Buffer.concat([len, bytes]);
}

/** Decodes a Metadata v4 response body (after the 4-byte size prefix). */
export function decodeMetadataResponse(body: Buffer): { correlationId: number; metadata: ClusterMetadata } {
  const r = new Reader(body);
  const correlationId = r.int32();
  r.int32(); // throttle_time_ms
  const brokers = r.array(() => ({ nodeId: r.int32(), host: r.string() ?? '', port: r.int32(), rack: r.string() }));
  const clusterId = r.string();
  const controllerId = r.int32();
  const topics = r.array(() => {
    const errorCode = r.int16();
    const name = r.string() ?? '';
    const internal = r.int8() !== 0;
    const partitions = r.array(() => ({
      errorCode: r.int16(),
      partition: r.int32(),
      leader: r.int32(),
      replicas: r.array(() => r.int32()),
      isr: r.array(() => r.int32()),
    }));
    return { name, errorCode, internal, partitions };
  });
  return { correlationId, metadata: { brokers, clusterId, controllerId, topics } };
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) return Buffer.alloc(0);
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
  string(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    const v = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
  array<T>(item: () => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
}

export interface ProbeSecurity {
  /** TLS (ssl, sasl_ssl): the PEM of the CA that signed the brokers; undefined uses the system's CAs. */
  readonly tls?: { readonly caLocation?: string };
  /** SASL SCRAM (sasl_plaintext, sasl_ssl). */
  readonly sasl?: { readonly mechanism: ScramMechanism | 'PLAIN'; readonly username: string; readonly password: string };
}

export interface ProbeOptions {
  readonly timeoutMs?: number;
  readonly topics?: readonly string[] | null;
  /** How to reach a secured listener; none: PLAINTEXT. */
  readonly security?: ProbeSecurity;
}

const SASL_HANDSHAKE_API_KEY = 17;
const SASL_AUTHENTICATE_API_KEY = 36;

/** A request with header v1 (api key, version, correlation id, client id) and its size prefix. */
function frame(apiKey: number, version: number, correlationId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  const payload = Buffer.concat([header, encodeString('tickstream-probe'), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

function encodeBytes(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length, 0);
  return Buffer.concat([len, b]);
}

/** Logs in with SASL over an open connection: SaslHandshake v1, then SaslAuthenticate v0 rounds (SCRAM: two, PLAIN: one). */
async function saslLogin(ask: (apiKey: number, version: number, body: Buffer) => Promise<Buffer>, sasl: NonNullable<ProbeSecurity['sasl']>): Promise<void> {
  const hs = new Reader(await ask(SASL_HANDSHAKE_API_KEY, 1, encodeString(sasl.mechanism)));
  const hsError = hs.int16();
  const enabled = hs.array(() => hs.string() ?? '');
  if (hsError !== 0) throw new Error(`SASL mechanism ${sasl.mechanism} not enabled (the broker offers ${enabled.join(', ') || 'none'})`);
  const authenticate = async (message: string): Promise<string> => {
    const r = new Reader(await ask(SASL_AUTHENTICATE_API_KEY, 0, encodeBytes(Buffer.from(message, 'utf8'))));
    const code = r.int16();
    const text = r.string();
    if (code !== 0) throw new Error(`SASL authentication failed: ${text ?? `error ${code}`}`);
    return r.bytes().toString('utf8');
  };
  if (sasl.mechanism === 'PLAIN') {
    await authenticate(`\0${sasl.username}\0${sasl.password}`);
    return;
  }
  const client = scramClient(sasl.mechanism, sasl.username, sasl.password);
  const serverFirst = await authenticate(client.clientFirst);
  client.verifyServerFinal(await authenticate(client.clientFinal(serverFirst)));
}

/**
 * Asks the broker at host:port for metadata, over TLS and after a SASL SCRAM login when
 * `options.security` says so. Rejects on connection failure, on a refused login, on a
 * deadline, or on a malformed answer; the error message names the address.
 */
export function fetchMetadata(host: string, port: number, options: ProbeOptions = {}): Promise<ClusterMetadata> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const security = options.security ?? {};
  let correlationId = Math.floor(Math.random() * 0x3fffffff);
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    let waiting: { id: number; resolve: (body: Buffer) => void } | null = null;
    const tlsOptions = security.tls
      ? { host, port, servername: isIP(host) ? undefined : host, ...(security.tls.caLocation ? { ca: readFileSync(security.tls.caLocation) } : {}) }
      : null;
    const socket: Socket = tlsOptions ? tlsConnect(tlsOptions) : new Socket();
    const finish = (err: Error | null, md?: ClusterMetadata): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(md!);
    };
    const ask = (apiKey: number, version: number, body: Buffer): Promise<Buffer> =>
      new Promise((resolveBody) => {
        correlationId += 1;
        waiting = { id: correlationId, resolve: resolveBody };
        socket.write(frame(apiKey, version, correlationId, body));
      });
    socket.setTimeout(timeoutMs, () => finish(new Error(`${host}:${port}: no metadata answer within ${timeoutMs} ms`)));
    socket.once('error', (err) => finish(new Error(`${host}:${port}: ${err.message}`)));
    socket.once('close', () => finish(new Error(`${host}:${port}: connection closed before a metadata answer${security.sasl ? ' (a refused login closes it)' : ''}`)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        const size = received.readInt32BE(0);
        const response = received.subarray(4, 4 + size);
        received = received.subarray(4 + size);
        const got = response.readInt32BE(0);
        if (!waiting || got !== waiting.id) return finish(new Error(`${host}:${port}: correlation id ${got}, expected ${waiting?.id ?? 'none'}`));
        const w = waiting;
        waiting = null;
        w.resolve(response.subarray(4));
      }
    });
    const converse = async (): Promise<void> => {
      try {
        if (security.sasl) await saslLogin(ask, security.sasl);
        correlationId += 1;
        const id = correlationId;
        const answer = new Promise<Buffer>((resolveBody) => (waiting = { id, resolve: resolveBody }));
        socket.write(encodeMetadataRequest(id, 'tickstream-probe', options.topics ?? null));
        const body = await answer;
        const header = Buffer.alloc(4);
        header.writeInt32BE(id, 0);
        finish(null, decodeMetadataResponse(Buffer.concat([header, body])).metadata);
      } catch (err) {
        finish(new Error(`${host}:${port}: ${(err as Error).message}`));
      }
    };
    if (tlsOptions) socket.once('secureConnect', () => void converse());
    else socket.connect(port, host, () => void converse());
  });
}

/** Partitions whose in-sync replica set is smaller than their replica set, or without a leader. */
export function underReplicated(metadata: ClusterMetadata): Array<{ topic: string; partition: number }> {
  const out: Array<{ topic: string; partition: number }> = [];
  for (const t of metadata.topics) {
    for (const p of t.partitions) {
      if (p.leader < 0 || p.isr.length < p.replicas.length) out.push({ topic: t.name, partition: p.partition });
    }
  }
  return out;
}
