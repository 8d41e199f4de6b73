/**
 * A minimal Kafka wire-protocol client that asks one broker for cluster metadata.
 *
 * Why not node-rdkafka: librdkafka connects to every broker it learns of and answers from
 * whichever it likes, and it retries forever. Start-up checks need the opposite: ask this
 * one broker, once, with a deadline, and say exactly which broker did not answer. The
 * Metadata request (API key 3, version 4: non-flexible encoding, served by Kafka 1.0
 * through 4.x) is enough to see which brokers are registered, which is the controller,
 * and each partition's leader, replicas and in-sync replicas.
 */
import { Socket } from 'node:net';

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

export interface ProbeOptions {
  readonly timeoutMs?: number;
  readonly topics?: readonly string[] | null;
}

/**
 * Asks the broker at host:port for metadata. Rejects on connection failure, on a deadline,
 * or on a malformed answer; the error message names the address.
 */
export function fetchMetadata(host: string, port: number, options: ProbeOptions = {}): Promise<ClusterMetadata> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const correlationId = Math.floor(Math.random() * 0x7fffffff);
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null, md?: ClusterMetadata): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(md!);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`${host}:${port}: no metadata answer within ${timeoutMs} ms`)));
    socket.once('error', (err) => finish(new Error(`${host}:${port}: ${err.message}`)));
    socket.once('close', () => finish(new Error(`${host}:${port}: connection closed before a metadata answer`)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      try {
        const { correlationId: got, metadata } = decodeMetadataResponse(received.subarray(4, 4 + size));
        if (got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`);
        finish(null, metadata);
      } catch (err) {
        finish(new Error(`${host}:${port}: malformed metadata answer: ${(err as Error).message}`));
      }
    });
    socket.connect(port, host, () => {
      socket.write(encodeMetadataRequest(correlationId, 'tickstream-probe', options.topics ?? null));
    });
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
