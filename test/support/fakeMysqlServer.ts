import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { TLSSocket } from 'node:tls';

// A stand-in MySQL server for what the shared MariaDB cannot show: TLS (it runs without certificates),
// caching_sha2_password (MariaDB has none), and a server in the path that asks for more than it should. Each test
// scripts one connection, packet by packet, and checks what the client sent as a real server would.

export const CLIENT_SSL = 0x800;
/** CONNECT_WITH_DB, PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH and the usual long flags. */
const SERVER_CAPABILITIES = 0x1 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x80000;

/** One accepted connection, read and written a packet at a time with the sequence ids counted as the protocol does. */
export class FakeConnection {
  sequence = 0;
  /** Every byte the client sent before TLS began (all of them, without TLS): what anyone in the path can read. */
  cleartext: Buffer = Buffer.alloc(0);
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private closed = false;
  private secure = false;

  constructor(public stream: Duplex) {
    this.listen(stream);
  }

  private listen(stream: Duplex): void {
    stream.on('data', (chunk: Buffer) => {
      if (!this.secure) this.cleartext = Buffer.concat([this.cleartext, chunk]);
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
    this.secure = true;
    // The client's ClientHello may have come in the same read as its SSLRequest: TLS starts from those bytes.
    const incoming = new PassThrough();
    incoming.write(this.buffered);
    this.buffered = Buffer.alloc(0);
    raw.pipe(incoming);
    const secure = new TLSSocket(Duplex.from({ readable: incoming, writable: raw }), {
      isServer: true,
      ...credentials,
    });
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

/** Listens on a free port (IPv4 and IPv6 where available, so `localhost` reaches it either way) and runs `script` for every connection. */
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

/** A server scramble: 20 bytes, none of them NUL (as servers generate them). */
export const newScramble = (): Buffer => Buffer.from(randomBytes(20).map((byte) => (byte % 127) + 1));

const sha256 = (...parts: Buffer[]): Buffer =>
  parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest();

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

/** HandshakeResponse41's user name and auth data (the client's one-byte or length-encoded auth length alike, below 251 bytes). */
export function parseHandshakeResponse(payload: Buffer): { flags: number; username: string; auth: Buffer } {
  const end = payload.indexOf(0, 32);
  const authLength = payload.readUInt8(end + 1);
  return {
    flags: payload.readUInt32LE(0),
    username: payload.toString('utf8', 32, end),
    auth: payload.subarray(end + 2, end + 2 + authLength),
  };
}

/** What a server checks for caching_sha2_password's fast path: it caches SHA256(SHA256(password)). */
export function cachingSha2AnswerMatches(auth: Buffer, password: string, scramble: Buffer): boolean {
  const stored = sha256(sha256(Buffer.from(password)));
  return sha256(xor(auth, sha256(stored, scramble))).equals(stored);
}

export const OK = Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);
/** caching_sha2_password's AuthMoreData: the server has no cached hash and wants the password itself. */
export const PERFORM_FULL_AUTHENTICATION = Buffer.from([0x01, 0x04]);
export const FAST_AUTH_SUCCESS = Buffer.from([0x01, 0x03]);

export function authSwitch(plugin: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${plugin}\0`), data]);
}

/** A private CA and a server certificate it issued for `name` only (not for 127.0.0.1); needs `openssl`. */
export function privateCa(name = 'localhost'): {
  ca: string;
  credentials: { key: string; cert: string };
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Keepsake Test CA',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    `/CN=${name}`,
  );
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=DNS:${name}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    ca: read('ca.pem'),
    credentials: { key: read('server.key'), cert: read('server.pem') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
