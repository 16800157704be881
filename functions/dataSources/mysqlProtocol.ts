import { constants, createHash, publicEncrypt } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Connection } from '../../types/dataSource.ts';

// Just enough of the MySQL client/server protocol to log in (MySQL 5.7+/8/9, MariaDB 10+, Aurora, RDS) and run a
// plain query with a small text result set:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html

const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_LONG_FLAG = 0x4;
const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
const CLIENT_TRANSACTIONS = 0x2000;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;

const UTF8MB4_GENERAL_CI = 45; // known to every MySQL and MariaDB since 5.5
const MAX_ALLOWED_PACKET = 16 * 1024 * 1024;
/** Nothing in a login is near this (the largest is an RSA public key); more means it is not MySQL talking. */
const MAX_READ = 64 * 1024;

const COM_QUIT = 0x01;
const COM_QUERY = 0x03;

const NATIVE = 'mysql_native_password';
const CACHING_SHA2 = 'caching_sha2_password';

/** What the server said about itself once the login succeeded. */
export interface MysqlServerInfo {
  /** As `SELECT VERSION()` reports it (MariaDB's "5.5.5-" replication prefix removed). */
  readonly serverVersion: string;
}

export interface MysqlProbeOptions {
  /** Bound on the TCP connect alone (DNS included). */
  readonly connectTimeoutMs: number;
  /** Bound on everything, for a server that accepts the connection and then stays silent. */
  readonly deadlineMs: number;
}

export interface MysqlSessionOptions extends MysqlProbeOptions {
  /** Log in without a default database (the connection's own is used otherwise), e.g. to look for one that may not exist. */
  readonly withoutDatabase?: boolean;
}

/** One row of a text result set: each column's value as the server wrote it, NULL as `null`. */
export type MysqlRow = readonly (string | null)[];

/** A logged-in connection, valid only inside the `withMysqlSession` callback it is handed to. */
export interface MysqlSession extends MysqlServerInfo {
  /** Runs one statement (COM_QUERY) and reads its whole text result set; no rows for a statement that returns none. */
  query(sql: string): Promise<MysqlRow[]>;
}

type Phase = 'connecting' | 'greeting' | 'tls' | 'login' | 'query';

const DOING: Record<Phase, string> = {
  connecting: 'while connecting',
  greeting: 'before sending its greeting',
  tls: 'during the TLS handshake',
  login: 'during the login',
  query: 'while answering a query',
};

/** Reads the fields of one packet's payload; running past its end means a malformed packet. */
class PayloadReader {
  private at: number;
  constructor(
    private readonly payload: Buffer,
    private readonly malformed: () => Error,
    at = 0,
  ) {
    this.at = at;
  }

  get remaining(): number {
    return this.payload.length - this.at;
  }

  bytes(length: number): Buffer {
    if (length > this.remaining) throw this.malformed();
    const out = this.payload.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  u8(): number {
    return this.bytes(1).readUInt8(0);
  }

  u16(): number {
    return this.bytes(2).readUInt16LE(0);
  }

  /** A length-encoded integer; `null` for 0xfb, which marks a NULL column value in a row. */
  lengthEncoded(): number | null {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.bytes(3).readUIntLE(0, 3);
    if (first === 0xfe) return Number(this.bytes(8).readBigUInt64LE(0));
    throw this.malformed();
  }

  /** A NUL-terminated string; `orRest` also takes an unterminated one up to the end (MySQL 5.5.7-5.5.9). */
  nulString(orRest = false): string {
    const end = this.payload.indexOf(0, this.at);
    if (end === -1 && !orRest) throw this.malformed();
    const stop = end === -1 ? this.payload.length : end;
    const text = this.payload.toString('utf8', this.at, stop);
    this.at = end === -1 ? stop : stop + 1;
    return text;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

/**
 * One connection's packets: 3-byte length, sequence id, payload. Reads resolve one whole packet at a time; the
 * first failure (socket error, close, deadline, malformed framing) is kept and rejects every read after it.
 */
class PacketChannel {
  /** The next sequence id expected or sent; both sides count up within one command. */
  sequence = 0;
  private stream: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (payload: Buffer) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private rejectFailed: (error: Error) => void = () => undefined;

  constructor(
    stream: Socket,
    private readonly errors: { closed: () => Error; malformed: (what: string) => Error },
  ) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined); // observed through guard() and read()
    this.stream = stream;
    this.listen(stream);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.deliver();
  };

  private readonly onClose = (): void => this.fail(this.errors.closed());

  private listen(stream: Socket): void {
    stream.on('data', this.onData);
    stream.on('end', this.onClose);
    stream.on('close', this.onClose);
  }

  /** Hands the connection over to the TLS socket wrapping it; the raw socket is read by TLS from now on. */
  upgrade(wrap: (raw: Socket) => TLSSocket): TLSSocket {
    const raw = this.stream;
    raw.off('data', this.onData);
    raw.off('end', this.onClose);
    raw.off('close', this.onClose);
    const secure = wrap(raw);
    this.stream = secure;
    this.listen(secure);
    return secure;
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    this.waiter?.reject(error);
    this.waiter = undefined;
  }

  /** Settles with `promise`, or rejects with the channel's failure if that comes first. */
  guard<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed]);
  }

  read(): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }

  write(payload: Buffer): void {
    const header = Buffer.alloc(4);
    header.writeUIntLE(payload.length, 0, 3);
    header.writeUInt8(this.sequence, 3);
    this.sequence = (this.sequence + 1) & 0xff;
    this.stream.write(Buffer.concat([header, payload]));
  }

  private deliver(): void {
    if (!this.waiter || this.buffered.length < 4) return;
    const length = this.buffered.readUIntLE(0, 3);
    if (length > MAX_READ) return this.fail(this.errors.malformed(`packet: ${length} bytes long`));
    if (this.buffered.length < 4 + length) return;
    const sequence = this.buffered.readUInt8(3);
    if (sequence !== this.sequence) return this.fail(this.errors.malformed(`packet: sequence ${sequence} where ${this.sequence} was due`));
    const payload = this.buffered.subarray(4, 4 + length);
    this.buffered = this.buffered.subarray(4 + length);
    this.sequence = (sequence + 1) & 0xff;
    const { resolve } = this.waiter;
    this.waiter = undefined;
    resolve(payload);
  }
}

interface Greeting {
  readonly serverVersion: string;
  readonly capabilities: number;
  readonly scramble: Buffer;
  readonly authPlugin: string;
}

/** Initial Handshake v10. */
function parseGreeting(payload: Buffer, malformed: () => Error): Greeting {
  const reader = new PayloadReader(payload, malformed);
  const protocol = reader.u8();
  if (protocol !== 10) throw malformed();
  const rawVersion = reader.nulString();
  reader.bytes(4); // connection id
  const scramble1 = reader.bytes(8);
  reader.bytes(1); // filler
  let capabilities = reader.u16();
  let scramble2: Buffer = Buffer.alloc(0);
  let authPlugin = NATIVE;
  if (reader.remaining > 0) {
    reader.bytes(3); // character set, status flags
    capabilities = (capabilities | (reader.u16() << 16)) >>> 0;
    const authDataLength = reader.u8();
    reader.bytes(10); // reserved (MariaDB: its extended capabilities)
    if (capabilities & CLIENT_SECURE_CONNECTION) scramble2 = reader.bytes(Math.max(13, authDataLength - 8));
    if (capabilities & CLIENT_PLUGIN_AUTH) authPlugin = reader.nulString(true);
  }
  // MariaDB 10.x announces itself as "5.5.5-10.x.y-MariaDB" so that old replicas accept it.
  const serverVersion = /^5\.5\.5-.*MariaDB/i.test(rawVersion) ? rawVersion.slice('5.5.5-'.length) : rawVersion;
  return { serverVersion, capabilities, scramble: withoutTrailingNul(Buffer.concat([scramble1, scramble2])), authPlugin };
}

function withoutTrailingNul(data: Buffer): Buffer {
  return data.length > 0 && data[data.length - 1] === 0 ? data.subarray(0, -1) : data;
}

/** ERR packet as the mysql client prints it: `ERROR 1045 (28000): Access denied for user …`. */
function serverError(payload: Buffer, malformed: () => Error): Error {
  const reader = new PayloadReader(payload, malformed, 1);
  const code = reader.u16();
  // Before the client's capabilities are known (an ERR instead of the greeting) there is no SQL state.
  const state = reader.remaining >= 6 && payload[3] === 0x23 ? reader.bytes(6).toString('latin1').slice(1) : undefined;
  const message = reader.rest().toString('utf8');
  return new Error(`ERROR ${code}${state ? ` (${state})` : ''}: ${message}`);
}

const digest = (algorithm: 'sha1' | 'sha256', ...parts: Buffer[]): Buffer => {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
};

function xor(data: Buffer, key: Buffer): Buffer {
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] ?? 0) ^ (key[i % key.length] ?? 0);
  return out;
}

/** SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))). */
function nativeScramble(password: Buffer, scramble: Buffer): Buffer {
  if (password.length === 0) return Buffer.alloc(0);
  const stage1 = digest('sha1', password);
  return xor(stage1, digest('sha1', scramble.subarray(0, 20), digest('sha1', stage1)));
}

/** SHA256(password) XOR SHA256(SHA256(SHA256(password)) + scramble). */
function cachingSha2Scramble(password: Buffer, scramble: Buffer): Buffer {
  if (password.length === 0) return Buffer.alloc(0);
  const stage1 = digest('sha256', password);
  return xor(stage1, digest('sha256', digest('sha256', stage1), scramble.subarray(0, 20)));
}

function unsupportedPlugin(plugin: string): Error {
  const what = plugin === 'client_ed25519' ? "MariaDB's ed25519 authentication (client_ed25519)" : `the authentication plugin '${plugin}'`;
  return new Error(`the user logs in with ${what}, which the connection test does not support (it supports ${NATIVE} and ${CACHING_SHA2})`);
}

function authResponse(plugin: string, password: Buffer, scramble: Buffer): Buffer {
  if (plugin === NATIVE) return nativeScramble(password, scramble);
  if (plugin === CACHING_SHA2) return cachingSha2Scramble(password, scramble);
  throw unsupportedPlugin(plugin);
}

function handshakeResponse(flags: number, fields?: { username: string; database: string | undefined; plugin: string; auth: Buffer }): Buffer {
  const head = Buffer.alloc(32); // flags, max packet size, character set, 23 bytes of filler
  head.writeUInt32LE(flags, 0);
  head.writeUInt32LE(MAX_ALLOWED_PACKET, 4);
  head.writeUInt8(UTF8MB4_GENERAL_CI, 8);
  if (!fields) return head; // SSLRequest: the same start, nothing else
  const nul = Buffer.alloc(1);
  return Buffer.concat([
    head,
    Buffer.from(fields.username, 'utf8'),
    nul,
    Buffer.from([fields.auth.length]),
    fields.auth,
    ...(fields.database === undefined ? [] : [Buffer.from(fields.database, 'utf8'), nul]),
    Buffer.from(fields.plugin, 'utf8'),
    nul,
  ]);
}

function tlsOptions(connection: Connection, host: string, raw: Socket): ConnectionOptions {
  const { mode, caPem } = connection.tls;
  const verify = mode === 'verify-ca' || mode === 'verify-identity';
  return {
    socket: raw,
    host,
    ...(isIP(host) ? {} : { servername: host }),
    // preferred and required encrypt without checking who answers, as the mysql client's ssl-mode does.
    rejectUnauthorized: verify,
    ...(verify && caPem ? { ca: caPem } : {}),
    checkServerIdentity: mode === 'verify-identity' ? checkServerIdentity : () => undefined,
  };
}

function tlsFailure(connection: Connection, where: string, error: Error & { code?: string }): Error {
  const { caPem } = connection.tls;
  const code = error.code ?? '';
  let hint = '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    hint = ` (the certificate does not name ${connection.host}; connect by the name it was issued for, or use verify-ca)`;
  } else if (/CERT|SIGNATURE|ISSUER/.test(code)) {
    if (!caPem) hint = " (the server certificate is not signed by a publicly trusted CA: give its CA bundle, e.g. RDS's global bundle, as caPem)";
    else if (!caPem.includes('-----BEGIN CERTIFICATE-----')) hint = ' (caPem holds no PEM certificate)';
    else hint = ' (the server certificate is not signed by the given CA)';
  }
  return new Error(`TLS handshake with ${where} failed: ${error.message}${hint}`);
}

function connectFailure(where: string, host: string, error: Error & { code?: string }): Error {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new Error(`Can't connect to ${where}: connection refused (nothing listens on that port, or a firewall rejects it)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new Error(`Can't connect to ${where}: unknown host '${host}' (DNS lookup failed)`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new Error(`Can't connect to ${where}: no route to the host from here`);
    default:
      return new Error(`Can't connect to ${where}: ${error.message}`);
  }
}

/** What the login needs to know of the connection so far. */
interface Session {
  readonly channel: PacketChannel;
  readonly where: string;
  readonly malformed: (what: string) => Error;
  readonly greeting: Greeting;
  readonly tls: boolean;
  /** Sent only with CLIENT_CONNECT_WITH_DB. */
  readonly database: string | undefined;
}

/**
 * Sends HandshakeResponse41 and answers the server until its OK: an auth switch to the user's own plugin, then
 * for caching_sha2_password either fast authentication (the server had the hash cached) or full authentication.
 */
async function logIn(session: Session, connection: Connection, password: string, flags: number): Promise<void> {
  const { channel, where, malformed, greeting } = session;
  const secret = Buffer.from(password, 'utf8');
  // A server whose default plugin is foreign to us still switches to the user's own plugin after this answer.
  let plugin = [NATIVE, CACHING_SHA2].includes(greeting.authPlugin) ? greeting.authPlugin : /MariaDB/i.test(greeting.serverVersion) ? NATIVE : CACHING_SHA2;
  let scramble = greeting.scramble;
  channel.write(handshakeResponse(flags, { username: connection.username, database: session.database, plugin, auth: authResponse(plugin, secret, scramble) }));

  let switched = false;
  for (;;) {
    const packet = await channel.read();
    const kind = packet[0];
    const sha2Status = kind === 0x01 && plugin === CACHING_SHA2 && packet.length === 2; // AuthMoreData: 3 fast, 4 full
    if (kind === 0x00) return; // OK
    if (kind === 0xff) throw serverError(packet, () => malformed('error packet'));
    if (kind === 0xfe) {
      // Auth Switch Request: the user's account uses another plugin, with a fresh scramble.
      if (switched) throw new Error(`${where} asked to switch the authentication method twice`);
      switched = true;
      const reader = new PayloadReader(packet, () => malformed('authentication switch'), 1);
      if (reader.remaining === 0) throw unsupportedPlugin('mysql_old_password');
      plugin = reader.nulString();
      scramble = withoutTrailingNul(reader.rest());
      channel.write(authResponse(plugin, secret, scramble));
    } else if (sha2Status && packet[1] === 0x03) {
      // Fast authentication succeeded; the OK follows.
    } else if (sha2Status && packet[1] === 0x04) {
      // Full authentication: the password itself, inside TLS or else encrypted with the server's RSA public key.
      const withNul = Buffer.concat([secret, Buffer.alloc(1)]);
      if (session.tls) {
        channel.write(withNul);
        continue;
      }
      channel.write(Buffer.from([0x02])); // request the public key
      const key = await channel.read();
      if (key[0] === 0xff) throw serverError(key, () => malformed('error packet'));
      if (key[0] !== 0x01) throw malformed('public key packet');
      let encrypted: Buffer;
      try {
        encrypted = publicEncrypt({ key: key.subarray(1).toString('latin1'), padding: constants.RSA_PKCS1_OAEP_PADDING }, xor(withNul, scramble));
      } catch {
        throw malformed('RSA public key');
      }
      channel.write(encrypted);
    } else {
      throw malformed(kind === undefined ? 'empty packet' : `packet (type 0x${kind.toString(16).padStart(2, '0')}) during the login`);
    }
  }
}

const REQUIRED_CAPABILITIES = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
const CLIENT_FLAGS = CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_TRANSACTIONS | REQUIRED_CAPABILITIES;

/** EOF packet (we do not ask for CLIENT_DEPRECATE_EOF); a row starting with 0xfe is at least 9 bytes long. */
const isEof = (packet: Buffer): boolean => packet[0] === 0xfe && packet.length < 9;

/**
 * COM_QUERY and its answer: OK (no result set), ERR, or a column count, that many column definitions, EOF, the
 * rows and a closing EOF (or ERR, when the statement fails half-way). The caller knows its own SELECT's columns,
 * so the definitions are read past; values stay text, as the text protocol sends them.
 */
async function runQuery(channel: PacketChannel, sql: string, malformed: (what: string) => Error): Promise<MysqlRow[]> {
  channel.sequence = 0;
  channel.write(Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql, 'utf8')]));
  const first = await channel.read();
  if (first[0] === 0x00) return [];
  if (first[0] === 0xff) throw serverError(first, () => malformed('error packet'));
  const columns = new PayloadReader(first, () => malformed('result set header')).lengthEncoded();
  if (!columns) throw malformed('result set header');
  for (let i = 0; i < columns; i++) await channel.read();
  if (!isEof(await channel.read())) throw malformed('result set (no EOF after its column definitions)');
  const rows: MysqlRow[] = [];
  for (;;) {
    const packet = await channel.read();
    if (isEof(packet)) return rows;
    if (packet[0] === 0xff) throw serverError(packet, () => malformed('error packet'));
    const reader = new PayloadReader(packet, () => malformed('row'));
    const row: (string | null)[] = [];
    for (let i = 0; i < columns; i++) {
      const length = reader.lengthEncoded();
      row.push(length === null ? null : reader.bytes(length).toString('utf8'));
    }
    rows.push(row);
  }
}

/**
 * Logs in to a MySQL or MariaDB server as `connection` says (TLS per its mode, its user, its database unless
 * `withoutDatabase`), hands the session to `use` for its queries (one at a time), then quits. Rejects with why
 * not: the server's own ERR text (`ERROR 1045 (28000): Access denied…`), or what went wrong on the way, in words.
 * The whole session never takes longer than `deadlineMs`, and no message holds the password (it only ever
 * leaves as a hash, inside TLS, or RSA-encrypted).
 */
export async function withMysqlSession<T>(connection: Connection, password: string, options: MysqlSessionOptions, use: (session: MysqlSession) => Promise<T>): Promise<T> {
  const host = connection.host.replace(/^\[(.*)\]$/, '$1');
  const where = `${isIP(host) === 6 ? `[${host}]` : host}:${connection.port}`;
  let phase: Phase = 'connecting';
  const malformed = (what: string) => new Error(`${where} sent a malformed ${what} (is it a MySQL server?)`);
  const lost = (error: Error) => new Error(`connection to ${where} lost ${DOING[phase]}: ${error.message}`);

  const raw = netConnect({ host, port: connection.port });
  raw.setNoDelay(true);
  const channel = new PacketChannel(raw, {
    closed: () => new Error(phase === 'connecting' ? `Can't connect to ${where}: the connection was closed` : `${where} closed the connection ${DOING[phase]}`),
    malformed,
  });
  raw.on('error', (error) => channel.fail(phase === 'connecting' ? connectFailure(where, host, error) : lost(error)));
  let secure: TLSSocket | undefined;

  const seconds = (ms: number) => Math.max(1, Math.round(ms / 1000));
  const deadline = setTimeout(() => {
    const doing = phase === 'greeting' ? ': the connection was accepted, but no greeting came' : ` ${DOING[phase]}`;
    channel.fail(new Error(`no answer from ${where} within ${seconds(options.deadlineMs)} s${doing}`));
  }, options.deadlineMs);
  const connectTimeout = setTimeout(() => {
    const hint = 'is the host reachable from here? a security group or firewall may drop the connection';
    channel.fail(new Error(`Can't connect to ${where}: no answer within ${seconds(options.connectTimeoutMs)} s (${hint})`));
  }, options.connectTimeoutMs);
  try {
    await channel.guard(new Promise<void>((resolve) => raw.once('connect', () => resolve())));
    clearTimeout(connectTimeout);

    phase = 'greeting';
    const first = await channel.read();
    if (first[0] === 0xff) throw serverError(first, () => malformed('error packet')); // e.g. host not allowed, too many connections
    const greeting = parseGreeting(first, () => malformed('greeting'));
    if ((greeting.capabilities & REQUIRED_CAPABILITIES) !== REQUIRED_CAPABILITIES) {
      throw new Error(`${where} runs ${greeting.serverVersion}, older than the connection test supports (MySQL 5.5.7)`);
    }

    const { mode } = connection.tls;
    const serverTls = (greeting.capabilities & CLIENT_SSL) !== 0;
    if (mode !== 'disabled' && mode !== 'preferred' && !serverTls) {
      throw new Error(`${where} (${greeting.serverVersion}) does not support TLS, which tls mode '${mode}' requires`);
    }
    const useTls = mode !== 'disabled' && serverTls;
    const database = options.withoutDatabase ? undefined : connection.database;
    const flags = (CLIENT_FLAGS | (database === undefined ? 0 : CLIENT_CONNECT_WITH_DB) | (useTls ? CLIENT_SSL : 0)) >>> 0;

    if (useTls) {
      phase = 'tls';
      channel.write(handshakeResponse(flags)); // SSLRequest
      const tlsSocket = channel.upgrade((socket) => tlsConnect(tlsOptions(connection, host, socket)));
      secure = tlsSocket;
      tlsSocket.on('error', (error) => channel.fail(phase === 'tls' ? tlsFailure(connection, where, error) : lost(error)));
      await channel.guard(new Promise<void>((resolve) => tlsSocket.once('secureConnect', () => resolve())));
    }

    phase = 'login';
    await logIn({ channel, where, malformed, greeting, tls: useTls, database }, connection, password, flags);

    const result = await use({
      serverVersion: greeting.serverVersion,
      query: (sql) => {
        phase = 'query';
        return runQuery(channel, sql, malformed);
      },
    });

    channel.sequence = 0;
    channel.write(Buffer.from([COM_QUIT]));
    const stream = secure ?? raw;
    stream.end();
    setTimeout(() => stream.destroy(), 1000).unref();
    return result;
  } catch (error) {
    secure?.destroy();
    raw.destroy();
    throw error;
  } finally {
    clearTimeout(deadline);
    clearTimeout(connectTimeout);
  }
}

/** Logs in as `connection` says and quits at once: the server's version, or why it refused (see `withMysqlSession`). */
export function probeMysqlServer(connection: Connection, password: string, options: MysqlProbeOptions): Promise<MysqlServerInfo> {
  return withMysqlSession(connection, password, options, async ({ serverVersion }) => ({ serverVersion }));
}
