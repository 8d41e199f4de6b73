/**
 * The client side of SASL SCRAM (RFC 5802, RFC 7677), as Kafka brokers speak it: the
 * start-up metadata probe (`kafka-probe.ts`) logs in with it on a SASL listener, where
 * librdkafka would connect to every broker and retry forever. Pure functions: the caller
 * moves the messages over the wire.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

interface ScramHash {
  readonly name: 'sha256' | 'sha512';
  readonly bytes: number;
}

const HASHES: Record<ScramMechanism, ScramHash> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

/** `=` and `,` in a user name are escaped as the RFC asks (`=3D`, `=2C`). */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const i = part.indexOf('=');
    if (i === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

export interface ScramClient {
  /** The client-first message, sent first. */
  readonly clientFirst: string;
  /** The client-final message for the server-first message; throws on a malformed or unsafe one. */
  clientFinal(serverFirst: string): string;
  /** Checks the server's signature (server-final message): the server knew the password too. */
  verifyServerFinal(serverFinal: string): void;
}

/** One SCRAM exchange. `nonce` only for tests (a fixed value); by default 24 random bytes. */
export function scramClient(mechanism: ScramMechanism, username: string, password: string, nonce?: string): ScramClient {
  const hash = HASHES[mechanism];
  const clientNonce = nonce ?? randomBytes(24).toString('base64');
  const clientFirstBare = `n=${saslName(username)},r=${clientNonce}`;
  const hmac = (key: Buffer, text: string): Buffer => createHmac(hash.name, key).update(text).digest();
  let serverSignature: Buffer | null = null;
  return {
    clientFirst: `n,,${clientFirstBare}`,
    clientFinal(serverFirst: string): string {
      const attrs = attributes(serverFirst);
      if (attrs.has('e')) throw new Error(`SCRAM: the server refused: ${attrs.get('e')}`);
      const serverNonce = attrs.get('r');
      const salt = attrs.get('s');
      const iterations = Number(attrs.get('i'));
      if (!serverNonce || !salt || !Number.isInteger(iterations) || iterations < 1) throw new Error(`SCRAM: malformed server-first message ${JSON.stringify(serverFirst)}`);
      // The server extends our nonce; anything else is a replay or a man in the middle.
      if (!serverNonce.startsWith(clientNonce) || serverNonce.length === clientNonce.length) throw new Error('SCRAM: the server nonce does not extend the client nonce');
      const saltedPassword = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, hash.bytes, hash.name);
      const clientKey = hmac(saltedPassword, 'Client Key');
      const storedKey = createHash(hash.name).update(clientKey).digest();
      const withoutProof = `c=biws,r=${serverNonce}`;
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const clientSignature = hmac(storedKey, authMessage);
      const proof = Buffer.alloc(clientKey.length);
      for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
      serverSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
      return `${withoutProof},p=${proof.toString('base64')}`;
    },
    verifyServerFinal(serverFinal: string): void {
      const attrs = attributes(serverFinal);
      if (attrs.has('e')) throw new Error(`SCRAM: the server refused: ${attrs.get('e')}`);
      const v = Buffer.from(attrs.get('v') ?? '', 'base64');
      if (!serverSignature) throw new Error('SCRAM: server-final message before the client-final one');
      if (v.length !== serverSignature.length || !timingSafeEqual(v, serverSignature)) throw new Error('SCRAM: the server signature does not match');
    },
  };
}
