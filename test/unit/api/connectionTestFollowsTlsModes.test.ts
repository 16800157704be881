import { execFileSync } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { wireProtocolTester } from '../../../functions/dataSources/connectionTester.ts';
import type { Connection, Tls } from '../../../types/dataSource.ts';
import { PASSWORD } from './dataSourceFixtures.ts';
import {
  CLIENT_SSL,
  FAST_AUTH_SUCCESS,
  OK,
  PERFORM_FULL_AUTHENTICATION,
  authSwitch,
  cachingSha2AnswerMatches,
  greeting,
  newScramble,
  parseHandshakeResponse,
  privateCa,
  startFakeServer,
  type FakeConnection,
  type FakeServer,
} from '../../support/fakeMysqlServer.ts';

// What the shared MariaDB cannot show (it has no certificates and no caching_sha2_password), against a scripted
// server: the TLS modes, the login MySQL 8 uses by default, and the words for what goes wrong before a login.

let server: FakeServer | undefined;
async function closeServer(): Promise<void> {
  const closing = server;
  server = undefined;
  await closing?.close();
  expect(closing?.failures ?? []).toEqual([]);
}
afterEach(closeServer);

async function serve(script: (client: FakeConnection) => Promise<void>): Promise<Connection> {
  server = await startFakeServer(script);
  return {
    engine: 'mysql',
    host: '127.0.0.1',
    port: server.port,
    database: 'shop',
    username: 'backup',
    tls: { mode: 'disabled' },
  };
}

const probe = (connection: Connection, tls: Tls = connection.tls) =>
  wireProtocolTester({ connectTimeoutMs: 2000, deadlineMs: 3000 }).test({ ...connection, tls }, PASSWORD);

describe('logging in', () => {
  it('answers caching_sha2_password with its SHA-256 scramble and reports the version and that nothing protected it', async () => {
    const connection = await serve(async (client) => {
      const scramble = newScramble();
      client.send(greeting({ version: '8.0.36', plugin: 'caching_sha2_password', scramble }));
      const response = parseHandshakeResponse(await client.readPayload());
      expect(response.username).toBe('backup');
      expect(cachingSha2AnswerMatches(response.auth, PASSWORD, scramble)).toBe(true);
      client.send(FAST_AUTH_SUCCESS);
      client.send(OK);
      await client.read();
    });
    expect(await probe(connection)).toEqual({
      ok: true,
      serverVersion: '8.0.36',
      tls: 'none',
      durationMs: expect.any(Number),
    });
  });

  it("reports MariaDB's version without its 5.5.5- prefix", async () => {
    const connection = await serve(async (client) => {
      client.send(
        greeting({ version: '5.5.5-10.11.6-MariaDB-log', plugin: 'mysql_native_password', scramble: newScramble() }),
      );
      await client.read();
      client.send(OK);
      await client.read();
    });
    expect(await probe(connection)).toMatchObject({ ok: true, serverVersion: '10.11.6-MariaDB-log' });
  });

  it("says plainly that MariaDB's ed25519 authentication is not supported", async () => {
    const connection = await serve(async (client) => {
      client.send(
        greeting({ version: '5.5.5-11.4.2-MariaDB', plugin: 'mysql_native_password', scramble: newScramble() }),
      );
      await client.read();
      client.send(authSwitch('client_ed25519', newScramble()));
      await client.read();
    });
    expect(await probe(connection)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/MariaDB's ed25519 authentication \(client_ed25519\).*not support/),
    });
  });
});

describe('failures before a login', () => {
  it('reports an ERR packet sent instead of the greeting (host not allowed)', async () => {
    const connection = await serve(async (client) => {
      const message = Buffer.from("Host '10.0.3.7' is not allowed to connect to this MySQL server");
      client.send(Buffer.concat([Buffer.from([0xff, 0x6a, 0x04]), message]));
      client.stream.end();
    });
    expect(await probe(connection)).toMatchObject({
      ok: false,
      problem: 'authentication',
      error: "ERROR 1130: Host '10.0.3.7' is not allowed to connect to this MySQL server",
    });
  });

  it('reports the connection closed before a greeting', async () => {
    const connection = await serve(async (client) => void client.stream.end());
    expect(await probe(connection)).toMatchObject({
      ok: false,
      error: `127.0.0.1:${connection.port} closed the connection before sending its greeting`,
    });
  });

  it('gives up at its deadline on a server that accepts the connection and stays silent', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const connection: Connection = {
      engine: 'mysql',
      host: '127.0.0.1',
      port,
      database: 'shop',
      username: 'backup',
      tls: { mode: 'required' },
    };
    const started = Date.now();
    const result = await wireProtocolTester({ connectTimeoutMs: 500, deadlineMs: 700 }).test(connection, PASSWORD);
    expect(result).toEqual({
      ok: false,
      problem: 'timeout',
      explanation: `127.0.0.1:${port} did not answer in time. A firewall or security group may be dropping the connection silently, or the server is overloaded; check that Keepsake's network can reach it.`,
      error: `no answer from 127.0.0.1:${port} within 1 s: the connection was accepted, but no greeting came`,
      durationMs: expect.any(Number),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => silent.close(resolve));
  });

  it('reports a closed port as refused', async () => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    await new Promise((resolve) => listener.close(resolve));
    const result = await probe({
      engine: 'mysql',
      host: '127.0.0.1',
      port,
      database: 'shop',
      username: 'backup',
      tls: { mode: 'required' },
    });
    expect(result).toMatchObject({
      ok: false,
      problem: 'unreachable',
      error: `Can't connect to 127.0.0.1:${port}: connection refused (nothing listens on that port, or a firewall rejects it)`,
    });
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

describe.runIf(hasOpenssl)('TLS modes', () => {
  let pki: ReturnType<typeof privateCa>;
  beforeAll(() => void (pki = privateCa()));
  afterAll(() => pki.remove());

  /** A TLS-capable MySQL 8: SSLRequest, handshake, then a caching_sha2 login that needs the password itself. */
  const tlsServer = (received: { password?: string; cleartext?: Buffer }, credentials = pki.credentials) =>
    serve(async (client) => {
      client.send(greeting({ plugin: 'caching_sha2_password', scramble: newScramble(), tls: true }));
      const sslRequest = await client.read();
      if (!sslRequest) return;
      expect(sslRequest.payload.readUInt32LE(0) & CLIENT_SSL).toBe(CLIENT_SSL);
      client.startTls(credentials);
      received.cleartext = client.cleartext;
      const response = await client.read();
      if (!response) return; // the client refused the certificate
      client.send(PERFORM_FULL_AUTHENTICATION);
      received.password = (await client.readPayload()).toString('utf8');
      client.send(OK);
      await client.read();
    });

  for (const mode of ['required', 'preferred'] as const) {
    it(`mode "${mode}" upgrades to TLS and sends the password only inside it, reporting the TLS unverified`, async () => {
      const received: { password?: string; cleartext?: Buffer } = {};
      const connection = await tlsServer(received);
      expect(await probe(connection, { mode })).toEqual({
        ok: true,
        serverVersion: '8.0.36',
        tls: 'encrypted (unverified)',
        tlsProtocol: expect.stringMatching(/^TLSv1\.[23]$/),
        durationMs: expect.any(Number),
      });
      expect(received.password).toBe(`${PASSWORD}\0`);
      expect(received.cleartext?.includes(Buffer.from(PASSWORD))).toBe(false);
    });
  }

  it('mode "verify-ca" accepts a certificate from the given CA, whatever name it carries, and reports it verified', async () => {
    const connection = await tlsServer({});
    expect(await probe(connection, { mode: 'verify-ca', caPem: pki.ca })).toMatchObject({
      ok: true,
      tls: 'verified',
      tlsProtocol: expect.any(String),
    });
  });

  it('mode "verify-ca" without the CA refuses a privately issued certificate before the password, saying to give the CA bundle', async () => {
    const received: { password?: string } = {};
    const connection = await tlsServer(received);
    const result = await probe(connection, { mode: 'verify-ca' });
    expect(result).toMatchObject({
      ok: false,
      problem: 'tls',
      error: expect.stringMatching(/^TLS handshake with 127\.0\.0\.1:\d+ failed: .*give its CA bundle/),
    });
    expect(received.password).toBeUndefined();
  });

  it('mode "verify-identity" accepts the name on the certificate and refuses another', async () => {
    const connection = await tlsServer({});
    expect(await probe({ ...connection, host: 'localhost' }, { mode: 'verify-identity', caPem: pki.ca })).toMatchObject(
      { ok: true, tls: 'verified' },
    );
    await closeServer();

    const elsewhere = privateCa('db.example.internal');
    try {
      const received: { password?: string } = {};
      const other = await tlsServer(received, elsewhere.credentials);
      const result = await probe({ ...other, host: 'localhost' }, { mode: 'verify-identity', caPem: elsewhere.ca });
      expect(result).toMatchObject({
        ok: false,
        problem: 'tls',
        error: expect.stringMatching(/the certificate does not name localhost;/),
      });
      expect(received.password).toBeUndefined();
    } finally {
      elsewhere.remove();
    }
  });

  it('mode "verify-identity" refuses an IP address, whose name it cannot check, before connecting', async () => {
    let connected = false;
    const connection = await serve(async () => void (connected = true));
    const result = await probe(connection, { mode: 'verify-identity', caPem: pki.ca });
    expect(result).toMatchObject({
      ok: false,
      problem: 'tls',
      error: expect.stringMatching(
        /^tls mode 'verify-identity' checks the name .* not the IP address 127\.0\.0\.1: connect by the name .*, or use verify-ca$/,
      ),
    });
    expect(connected).toBe(false);
  });
});
