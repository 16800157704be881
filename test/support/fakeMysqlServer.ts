import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { TLSSocket } from 'node:tls';

// A stand-in MySQL server for the connection tester's unit tests: each test scripts one connection, packet by
// packet, and checks what the client sent the way a real server would (hashes recomputed here, independently).

export const CLIENT_CONNECT_WITH_DB = 0x8;
export const CLIENT_PROTOCOL_41 = 0x200;
export const CLIENT_SSL = 0x800;
export const CLIENT_SECURE_CONNECTION = 0x8000;
export const CLIENT_PLUGIN_AUTH = 0x80000;
const SERVER_CAPABILITIES = 0x1 | 0x4 | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | 0x2000 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;

/** One accepted connection, read and written a packet at a time with the sequence ids counted as the protocol does. */
export class FakeConnection {
  sequence = 0;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private closed = false;

  constructor(public stream: Duplex) {
    this.listen(stream);
  }

  private listen(stream: Duplex): void {
    stream.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    stream.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    stream.on('error', () => undefined);
  }

  /** The next packet's sequence id and payload; `undefined` once the client has closed the connection. */
  async read(): Promise<{ sequence: number; payload: Buffer } | undefined> {
    for (;;) {
      if (this.buffered.length >= 4) {
        const length = this.buffered.readUIntLE(0, 3);
        if (this.buffered.length >= 4 + length) {
          const sequence = this.buffered.readUInt8(3);
          const payload = this.buffered.subarray(4, 4 + length);
          this.buffered = this.buffered.subarray(4 + length);
          this.sequence = (sequence + 1) & 0xff;
          return { sequence, payload };
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  async readPayload(): Promise<Buffer> {
    const packet = await this.read();
    if (!packet) throw new Error('the client closed the connection');
    return packet.payload;
  }

  send(payload: Buffer): void {
    const header = Buffer.alloc(4);
    header.writeUIntLE(payload.length, 0, 3);
    header.writeUInt8(this.sequence, 3);
    this.sequence = (this.sequence + 1) & 0xff;
    this.stream.write(Buffer.concat([header, payload]));
  }

  /** Answers an SSLRequest: the TLS handshake runs over the same socket, packets continue inside it. */
  startTls(credentials: { key: string; cert: string }): void {
    const raw = this.stream;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    // The client's ClientHello may have come in the same read as its SSLRequest: TLS starts from those bytes.
    const incoming = new PassThrough();
    incoming.write(this.buffered);
    this.buffered = Buffer.alloc(0);
    raw.pipe(incoming);
    const secure = new TLSSocket(Duplex.from({ readable: incoming, writable: raw }), { isServer: true, ...credentials });
    this.stream = secure;
    this.listen(secure);
  }
}

export interface FakeServer {
  readonly port: number;
  /** Whatever each connection's script threw (an assertion about the client's packets), in order. */
  readonly failures: unknown[];
  close(): Promise<void>;
}

/** Listens on a free port (IPv4 and IPv6 where available) and runs `script` for every connection. */
export async function startFakeServer(script: (connection: FakeConnection) => Promise<void>): Promise<FakeServer> {
  const failures: unknown[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    script(new FakeConnection(socket)).catch((error: unknown) => {
      failures.push(error);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    failures,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const sha1 = (...parts: Buffer[]): Buffer => parts.reduce((hash, part) => hash.update(part), createHash('sha1')).digest();
export const sha256 = (...parts: Buffer[]): Buffer => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest();

export function xor(data: Buffer, key: Buffer): Buffer {
  return Buffer.from(data.map((byte, i) => byte ^ (key[i % key.length] ?? 0)));
}

/** Initial Handshake v10 with a 20-byte scramble. */
export function greeting(options: { version?: string; plugin?: string; scramble: Buffer; tls?: boolean }): Buffer {
  const capabilities = SERVER_CAPABILITIES | (options.tls ? CLIENT_SSL : 0);
  const fixed = Buffer.alloc(4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10);
  let at = fixed.writeUInt32LE(42, 0); // connection id
  at += options.scramble.copy(fixed, at, 0, 8);
  at = fixed.writeUInt8(0, at);
  at = fixed.writeUInt16LE(capabilities & 0xffff, at);
  at = fixed.writeUInt8(45, at);
  at = fixed.writeUInt16LE(0x0002, at);
  at = fixed.writeUInt16LE(capabilities >>> 16, at);
  fixed.writeUInt8(21, at);
  return Buffer.concat([
    Buffer.from([10]),
    Buffer.from(`${options.version ?? '8.0.36'}\0`),
    fixed,
    options.scramble.subarray(8, 20),
    Buffer.from([0]),
    Buffer.from(`${options.plugin ?? 'caching_sha2_password'}\0`),
  ]);
}

export interface HandshakeResponse {
  readonly flags: number;
  readonly username: string;
  readonly auth: Buffer;
  readonly database: string;
  readonly plugin: string;
}

/** HandshakeResponse41 as the client sent it (one-byte auth length, a database, a plugin name). */
export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  const flags = payload.readUInt32LE(0);
  let at = 32;
  const text = () => {
    const end = payload.indexOf(0, at);
    const value = payload.toString('utf8', at, end);
    at = end + 1;
    return value;
  };
  const username = text();
  const authLength = payload.readUInt8(at);
  const auth = payload.subarray(at + 1, at + 1 + authLength);
  at += 1 + authLength;
  return { flags, username, auth, database: text(), plugin: text() };
}

/** What a server checks for mysql_native_password: it keeps SHA1(SHA1(password)) only. */
export function nativeAnswerMatches(auth: Buffer, password: string, scramble: Buffer): boolean {
  const stored = sha1(sha1(Buffer.from(password)));
  return sha1(xor(auth, sha1(scramble, stored))).equals(stored);
}

/** What a server checks for caching_sha2_password's fast path: it caches SHA256(SHA256(password)). */
export function cachingSha2AnswerMatches(auth: Buffer, password: string, scramble: Buffer): boolean {
  const stored = sha256(sha256(Buffer.from(password)));
  return sha256(xor(auth, sha256(stored, scramble))).equals(stored);
}

export const OK = Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);

export function errPacket(code: number, message: string, state?: string): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt8(0xff, 0);
  head.writeUInt16LE(code, 1);
  return Buffer.concat([head, Buffer.from(state ? `#${state}` : ''), Buffer.from(message)]);
}
