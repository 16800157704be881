import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { wireProtocolTester } from '../../functions/dataSources/connectionTester.ts';
import { wireProtocolInspector } from '../../functions/dataSources/databaseInspector.ts';
import type { Connection, Tls } from '../../types/dataSource.ts';
import { PASSWORD } from '../unit/api/dataSourceFixtures.ts';
import {
  PERFORM_FULL_AUTHENTICATION,
  authSwitch,
  greeting,
  newScramble,
  startFakeServer,
  xor,
  type FakeConnection,
  type FakeServer,
} from '../support/fakeMysqlServer.ts';

/**
 * A server in the path of a connection without TLS (or one that offers none) plays the attacker: it asks for the
 * password itself, hands over its own RSA key when asked for "the server's", and decrypts what comes back. The
 * password must never reach it: no key is fetched, nothing is sent in clear, and the test fails saying why.
 */

let server: FakeServer | undefined;
afterEach(async () => {
  const closing = server;
  server = undefined;
  await closing?.close();
  expect(closing?.failures ?? []).toEqual([]);
});

/** What the attacker got out of one connection. */
interface Loot {
  keyRequested: boolean;
  password?: string;
  cleartext: Buffer;
}

const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attackerKey = Buffer.from(attacker.publicKey.export({ type: 'spki', format: 'pem' }));

/** Reads the client's answers until it hangs up; a key request gets the attacker's key, and what follows is decrypted. */
async function harvest(client: FakeConnection, loot: Loot, scramble: Buffer, keyRequest: number): Promise<void> {
  for (;;) {
    const packet = await client.read();
    loot.cleartext = client.cleartext;
    if (!packet) return;
    if (packet.payload.length === 1 && packet.payload[0] === keyRequest) {
      loot.keyRequested = true;
      client.send(Buffer.concat([Buffer.from([0x01]), attackerKey]));
      const encrypted = await client.readPayload();
      loot.password = xor(
        privateDecrypt({ key: attacker.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, encrypted),
        scramble,
      )
        .toString('utf8')
        .replace(/\0$/, '');
    }
  }
}

async function serve(
  script: (client: FakeConnection, loot: Loot) => Promise<void>,
): Promise<{ connection: Connection; loot: Loot }> {
  const loot: Loot = { keyRequested: false, cleartext: Buffer.alloc(0) };
  server = await startFakeServer((client) => script(client, loot));
  return {
    connection: {
      engine: 'mysql',
      host: '127.0.0.1',
      port: server.port,
      database: 'shop',
      username: 'backup',
      tls: { mode: 'preferred' },
    },
    loot,
  };
}

/** caching_sha2_password with no cached hash: the server wants the password, over a connection without TLS. */
const fullAuthentication = (version = '8.0.36') =>
  serve(async (client, loot) => {
    const scramble = newScramble();
    client.send(greeting({ version, plugin: 'caching_sha2_password', scramble }));
    await client.read();
    client.send(PERFORM_FULL_AUTHENTICATION);
    await harvest(client, loot, scramble, 0x02);
  });

const probe = (connection: Connection, tls: Tls) =>
  wireProtocolTester({ connectTimeoutMs: 2000, deadlineMs: 3000 }).test({ ...connection, tls }, PASSWORD);

const expectNothingLeaked = (loot: Loot) => {
  expect(loot.keyRequested).toBe(false);
  expect(loot.password).toBeUndefined();
  expect(loot.cleartext.includes(Buffer.from(PASSWORD))).toBe(false);
};

describe('the connection test never fetches a server key or sends the password without TLS', () => {
  for (const mode of ['disabled', 'preferred'] as const) {
    it(`fails closed on caching_sha2_password full authentication with tls mode "${mode}", saying to use TLS`, async () => {
      const { connection, loot } = await fullAuthentication();
      const result = await probe(connection, { mode });
      expectNothingLeaked(loot);
      expect(result).toMatchObject({
        ok: false,
        error: expect.stringMatching(
          new RegExp(
            `^127\\.0\\.0\\.1:${server?.port} asked for the password itself \\(caching_sha2_password full authentication\\) on a connection without TLS: .*tls mode to required or verify-identity$`,
          ),
        ),
      });
    });
  }

  it('refuses a switch to sha256_password without TLS (which would fetch the key too)', async () => {
    const { connection, loot } = await serve(async (client, loot) => {
      client.send(greeting({ scramble: newScramble() }));
      await client.read();
      const scramble = newScramble();
      client.send(authSwitch('sha256_password', Buffer.concat([scramble, Buffer.from([0])])));
      await harvest(client, loot, scramble, 0x01);
    });
    const result = await probe(connection, { mode: 'disabled' });
    expectNothingLeaked(loot);
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringContaining(
        'asked for the password itself (sha256_password full authentication) on a connection without TLS',
      ),
    });
  });

  it('refuses a switch to mysql_clear_password, which would send the password as it is', async () => {
    const { connection, loot } = await serve(async (client, loot) => {
      client.send(greeting({ scramble: newScramble() }));
      await client.read();
      client.send(authSwitch('mysql_clear_password', Buffer.alloc(0)));
      await harvest(client, loot, Buffer.alloc(20), -1);
    });
    const result = await probe(connection, { mode: 'disabled' });
    expectNothingLeaked(loot);
    expect(result).toMatchObject({
      ok: false,
      error: `127.0.0.1:${server?.port} asked for the password in clear text (mysql_clear_password), which is never sent`,
    });
  });

  it('holds for the database inspector too', async () => {
    const { connection, loot } = await fullAuthentication();
    const inspector = wireProtocolInspector({ connectTimeoutMs: 2000, deadlineMs: 3000 });
    const inspected = inspector
      .inspect({ ...connection, tls: { mode: 'disabled' } }, PASSWORD, 'shop')
      .catch((error: unknown) => error);
    const failure = await inspected;
    expectNothingLeaked(loot);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/on a connection without TLS/);
  });
});
