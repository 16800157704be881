import { execFileSync } from 'node:child_process';
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { wireProtocolTester } from '../../../functions/dataSources/connectionTester.ts';
import type { Connection, Tls } from '../../../types/dataSource.ts';
import { PASSWORD } from './dataSourceFixtures.ts';
import {
  CLIENT_CONNECT_WITH_DB,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
  OK,
  cachingSha2AnswerMatches,
  errPacket,
  greeting,
  nativeAnswerMatches,
  parseHandshakeResponse,
  startFakeServer,
  xor,
  type FakeConnection,
  type FakeServer,
  type HandshakeResponse,
} from './fakeMysqlServer.ts';

/** A server scramble: 20 bytes, none of them NUL (as servers generate them). */
const newScramble = () => Buffer.from(randomBytes(20).map((byte) => (byte % 127) + 1));

let server: FakeServer | undefined;

/** Stops the fake server; whatever its script found wrong in the client's packets fails the test. */
async function closeServer(): Promise<void> {
  const closing = server;
  server = undefined;
  await closing?.close();
  expect(closing?.failures ?? []).toEqual([]);
}
afterEach(closeServer);

async function serve(script: (connection: FakeConnection) => Promise<void>): Promise<Connection> {
  server = await startFakeServer(script);
  return { engine: 'mysql', host: '127.0.0.1', port: server.port, database: 'shop', username: 'backup', tls: { mode: 'preferred' } };
}

/** The client's last words after a successful login. */
async function expectQuit(connection: FakeConnection): Promise<void> {
  expect(await connection.read()).toEqual({ sequence: 0, payload: Buffer.from([0x01]) });
}

const probe = (connection: Connection) => wireProtocolTester({ connectTimeoutMs: 2000, deadlineMs: 3000 }).test(connection, PASSWORD);

describe('logging in with caching_sha2_password', () => {
  it('sends the SHA-256 scramble, the database and the plugin, and reports ok on fast-auth success', async () => {
    let response: HandshakeResponse | undefined;
    const connection = await serve(async (client) => {
      const scramble = newScramble();
      client.send(greeting({ version: '8.0.36', plugin: 'caching_sha2_password', scramble }));
      const sent = await client.read();
      expect(sent?.sequence).toBe(1);
      response = parseHandshakeResponse(sent?.payload ?? Buffer.alloc(0));
      expect(cachingSha2AnswerMatches(response.auth, PASSWORD, scramble)).toBe(true);
      client.send(Buffer.from([0x01, 0x03]));
      client.send(OK);
      await expectQuit(client);
    });

    expect(await probe(connection)).toEqual({ ok: true, serverVersion: '8.0.36', durationMs: expect.any(Number) });
    expect(response).toMatchObject({ username: 'backup', database: 'shop', plugin: 'caching_sha2_password' });
    const required = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_WITH_DB;
    expect((response?.flags ?? 0) & required).toBe(required);
    expect((response?.flags ?? 0) & CLIENT_SSL).toBe(0);
  });

  it("on full authentication without TLS, asks for the server's RSA key and sends the password XOR scramble encrypted with it", async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let decrypted: Buffer | undefined;
    let scramble = Buffer.alloc(0);
    const connection = await serve(async (client) => {
      scramble = newScramble();
      client.send(greeting({ plugin: 'caching_sha2_password', scramble }));
      await client.read();
      client.send(Buffer.from([0x01, 0x04]));
      expect(await client.readPayload()).toEqual(Buffer.from([0x02]));
      client.send(Buffer.concat([Buffer.from([0x01]), Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }))]));
      decrypted = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, await client.readPayload());
      client.send(OK);
      await expectQuit(client);
    });

    expect(await probe(connection)).toMatchObject({ ok: true, serverVersion: '8.0.36' });
    expect(decrypted).toEqual(xor(Buffer.from(`${PASSWORD}\0`), scramble));
  });

  it('follows an auth switch to mysql_native_password, answering with the SHA-1 scramble of the new seed', async () => {
    const connection = await serve(async (client) => {
      client.send(greeting({ plugin: 'caching_sha2_password', scramble: newScramble() }));
      await client.read();
      const seed = newScramble();
      client.send(Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_native_password\0'), seed, Buffer.from([0])]));
      expect(nativeAnswerMatches(await client.readPayload(), PASSWORD, seed)).toBe(true);
      client.send(OK);
      await expectQuit(client);
    });

    expect(await probe(connection)).toMatchObject({ ok: true });
  });
});

describe('logging in with mysql_native_password (MariaDB)', () => {
  it("answers the greeting's plugin directly and reports the version without MariaDB's 5.5.5- prefix", async () => {
    const connection = await serve(async (client) => {
      const scramble = newScramble();
      client.send(greeting({ version: '5.5.5-10.11.6-MariaDB-log', plugin: 'mysql_native_password', scramble }));
      const response = parseHandshakeResponse(await client.readPayload());
      expect(response.plugin).toBe('mysql_native_password');
      expect(nativeAnswerMatches(response.auth, PASSWORD, scramble)).toBe(true);
      client.send(OK);
      await expectQuit(client);
    });

    expect(await probe(connection)).toMatchObject({ ok: true, serverVersion: '10.11.6-MariaDB-log' });
  });

  it("says plainly that MariaDB's ed25519 authentication is not supported", async () => {
    const connection = await serve(async (client) => {
      client.send(greeting({ version: '5.5.5-11.4.2-MariaDB', plugin: 'mysql_native_password', scramble: newScramble() }));
      await client.read();
      client.send(Buffer.concat([Buffer.from([0xfe]), Buffer.from('client_ed25519\0'), randomBytes(32)]));
      await client.read();
    });

    const result = await probe(connection);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/MariaDB's ed25519 authentication \(client_ed25519\).*not support/) });
  });
});

describe('failures the server reports', () => {
  it('reports an ERR packet sent instead of the greeting (host not allowed)', async () => {
    const connection = await serve(async (client) => {
      client.send(errPacket(1130, "Host '10.0.3.7' is not allowed to connect to this MySQL server"));
      client.stream.end();
    });
    expect(await probe(connection)).toEqual({
      ok: false,
      error: "ERROR 1130: Host '10.0.3.7' is not allowed to connect to this MySQL server",
      durationMs: expect.any(Number),
    });
  });

  it("reports the server's refusal with errno and SQL state, the password redacted even if the server quotes it", async () => {
    const connection = await serve(async (client) => {
      client.send(greeting({ scramble: newScramble() }));
      await client.read();
      client.send(errPacket(1045, `Access denied for user 'backup'@'10.0.3.7' (password ${PASSWORD})`, '28000'));
    });
    const result = await probe(connection);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^ERROR 1045 \(28000\): Access denied for user 'backup'@'10\.0\.3\.7'/) });
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it('reports tls mode "required" against a server without TLS, before sending any credentials', async () => {
    const connection = await serve(async (client) => {
      client.send(greeting({ version: '8.0.36', scramble: newScramble() }));
      expect(await client.read()).toBeUndefined();
    });
    expect(await probe({ ...connection, tls: { mode: 'required' } })).toMatchObject({
      ok: false,
      error: `127.0.0.1:${connection.port} (8.0.36) does not support TLS, which tls mode 'required' requires`,
    });
  });
});

describe('a peer that does not speak MySQL', () => {
  it('fails clearly on a banner that is not a MySQL packet', async () => {
    const connection = await serve(async (client) => {
      client.stream.write('SSH-2.0-OpenSSH_9.6\r\n');
      await client.read();
    });
    expect(await probe(connection)).toMatchObject({
      ok: false,
      error: expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1:${connection.port} sent a malformed packet: \\d+ bytes long \\(is it a MySQL server\\?\\)$`)),
    });
  });

  it('fails clearly on a greeting cut short', async () => {
    const connection = await serve(async (client) => {
      client.send(Buffer.from([10, ...Buffer.from('8.0.36\0'), 1, 0, 0]));
      await client.read();
    });
    expect(await probe(connection)).toMatchObject({ ok: false, error: `127.0.0.1:${connection.port} sent a malformed greeting (is it a MySQL server?)` });
  });

  it('fails clearly on a packet out of sequence, and on an unexpected packet during the login', async () => {
    const outOfOrder = await serve(async (client) => {
      client.sequence = 5;
      client.send(greeting({ scramble: newScramble() }));
      await client.read();
    });
    expect(await probe(outOfOrder)).toMatchObject({ ok: false, error: expect.stringMatching(/sent a malformed packet: sequence 5 where 0 was due/) });
    await closeServer();

    const unexpected = await serve(async (client) => {
      client.send(greeting({ scramble: newScramble() }));
      await client.read();
      client.send(Buffer.from([0x7f, 1, 2, 3]));
      await client.read();
    });
    expect(await probe(unexpected)).toMatchObject({ ok: false, error: expect.stringMatching(/sent a malformed packet \(type 0x7f\) during the login/) });
  });

  it('reports the connection closed before a greeting', async () => {
    const connection = await serve(async (client) => void client.stream.end());
    expect(await probe(connection)).toMatchObject({ ok: false, error: `127.0.0.1:${connection.port} closed the connection before sending its greeting` });
  });
});

describe('time bounds and unreachable servers', () => {
  const silentServer = async (): Promise<{ port: number; connected: Promise<void>; close: () => Promise<void> }> => {
    const sockets: Socket[] = [];
    let connected: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (connected = resolve));
    const listener = createServer((socket) => {
      sockets.push(socket);
      connected();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    return {
      port: (listener.address() as AddressInfo).port,
      connected: seen,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => listener.close(resolve));
      },
    };
  };

  it('gives up at its deadline on a server that accepts the connection and stays silent', async () => {
    const silent = await silentServer();
    const connection: Connection = { engine: 'mysql', host: '127.0.0.1', port: silent.port, database: 'shop', username: 'backup', tls: { mode: 'preferred' } };
    const started = Date.now();
    const result = await wireProtocolTester({ connectTimeoutMs: 500, deadlineMs: 700 }).test(connection, PASSWORD);
    expect(result).toEqual({ ok: false, error: `no answer from 127.0.0.1:${silent.port} within 1 s: the connection was accepted, but no greeting came`, durationMs: expect.any(Number) });
    expect(Date.now() - started).toBeLessThan(2_000);
    await silent.close();
  });

  it('bounds a test at 10 s by default (8 s connect timeout plus 2 s)', async () => {
    const silent = await silentServer();
    const connection: Connection = { engine: 'mysql', host: '127.0.0.1', port: silent.port, database: 'shop', username: 'backup', tls: { mode: 'preferred' } };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const pending = wireProtocolTester().test(connection, PASSWORD);
      await silent.connected;
      // The client's side of the connect lands an event-loop turn or so after the server's (setImmediate is real).
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
      await vi.advanceTimersByTimeAsync(9_900);
      let settled = false;
      void pending.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(100);
      expect(await pending).toMatchObject({ ok: false, error: expect.stringMatching(/^no answer from 127\.0\.0\.1:\d+ within 10 s/) });
    } finally {
      vi.useRealTimers();
      await silent.close();
    }
  });

  it('reports a closed port as refused', async () => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    await new Promise((resolve) => listener.close(resolve));
    const result = await probe({ engine: 'mysql', host: '127.0.0.1', port, database: 'shop', username: 'backup', tls: { mode: 'preferred' } });
    expect(result).toMatchObject({ ok: false, error: `Can't connect to 127.0.0.1:${port}: connection refused (nothing listens on that port, or a firewall rejects it)` });
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(hasOpenssl)('TLS', () => {
  let dir: string;
  let ca: string;
  let credentials: { key: string; cert: string };

  beforeAll(() => {
    // A private CA and a server certificate issued by it for "localhost" only (not for 127.0.0.1).
    dir = mkdtempSync(join(tmpdir(), 'keepsake-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Keepsake Test CA');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
    credentials = { key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A TLS-capable server: SSLRequest, handshake, then a caching_sha2 login that needs full authentication. */
  const tlsServer = (received: { password?: string; sslRequest?: number }) =>
    serve(async (client) => {
      client.send(greeting({ plugin: 'caching_sha2_password', scramble: newScramble(), tls: true }));
      const sslRequest = await client.read();
      if (!sslRequest) return;
      received.sslRequest = sslRequest.payload.length;
      expect(sslRequest.sequence).toBe(1);
      expect(sslRequest.payload.readUInt32LE(0) & CLIENT_SSL).toBe(CLIENT_SSL);
      client.startTls(credentials);
      const response = await client.read();
      if (!response) return; // the client refused the certificate
      expect(response.sequence).toBe(2);
      expect(parseHandshakeResponse(response.payload)).toMatchObject({ username: 'backup', database: 'shop' });
      client.send(Buffer.from([0x01, 0x04]));
      received.password = (await client.readPayload()).toString('utf8');
      client.send(OK);
      await expectQuit(client);
    });

  const withTls = (connection: Connection, tls: Tls, host = connection.host): Connection => ({ ...connection, host, tls });

  it('mode "required" upgrades after an SSLRequest and sends the password in clear only inside TLS', async () => {
    const received: { password?: string; sslRequest?: number } = {};
    const connection = await tlsServer(received);
    expect(await probe(withTls(connection, { mode: 'required' }))).toMatchObject({ ok: true, serverVersion: '8.0.36' });
    expect(received).toEqual({ sslRequest: 32, password: `${PASSWORD}\0` });
  });

  it('mode "verify-ca" accepts a certificate from the given CA, whatever name it carries', async () => {
    const connection = await tlsServer({});
    expect(await probe(withTls(connection, { mode: 'verify-ca', caPem: ca }))).toMatchObject({ ok: true });
  });

  it('mode "verify-ca" without the CA refuses a privately issued certificate, saying to give the CA bundle', async () => {
    const received: { password?: string } = {};
    const connection = await tlsServer(received);
    const result = await probe(withTls(connection, { mode: 'verify-ca' }));
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^TLS handshake with 127\.0\.0\.1:\d+ failed: .*give its CA bundle/) });
    expect(received.password).toBeUndefined();
  });

  it('mode "verify-identity" accepts the name on the certificate and refuses another', async () => {
    const connection = await tlsServer({});
    expect(await probe(withTls(connection, { mode: 'verify-identity', caPem: ca }, 'localhost'))).toMatchObject({ ok: true });
    await closeServer();

    const other = await tlsServer({});
    const result = await probe(withTls(other, { mode: 'verify-identity', caPem: ca }));
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/the certificate does not name 127\.0\.0\.1/) });
  });
});
