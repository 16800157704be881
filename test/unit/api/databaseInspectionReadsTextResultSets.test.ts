import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sqlText, wireProtocolInspector } from '../../../functions/dataSources/databaseInspector.ts';
import type { Connection } from '../../../types/dataSource.ts';
import { PASSWORD } from './dataSourceFixtures.ts';
import { CLIENT_CONNECT_WITH_DB, OK, errPacket, greeting, nativeAnswerMatches, startFakeServer, type FakeConnection, type FakeServer } from './fakeMysqlServer.ts';

// The inspector's side of COM_QUERY against a scripted server: what it sends, and how it reads text result sets
// (length-encoded values, NULLs, EOF and ERR packets). The real server's answers are in the integration test.

const newScramble = () => Buffer.from(randomBytes(20).map((byte) => (byte % 127) + 1));

let server: FakeServer | undefined;
afterEach(async () => {
  const closing = server;
  server = undefined;
  await closing?.close();
  expect(closing?.failures ?? []).toEqual([]);
});

async function serve(script: (connection: FakeConnection) => Promise<void>): Promise<Connection> {
  server = await startFakeServer(script);
  return { engine: 'mariadb', host: '127.0.0.1', port: server.port, database: 'shop', username: 'backup', tls: { mode: 'disabled' } };
}

/** A length-encoded string, as rows carry their values (two-byte lengths from 251 on). */
function lengthEncoded(text: string | null): Buffer {
  if (text === null) return Buffer.from([0xfb]);
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length < 0xfb) return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  const head = Buffer.from([0xfc, 0, 0]);
  head.writeUInt16LE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

const EOF = Buffer.from([0xfe, 0x00, 0x00, 0x02, 0x00]);

/** Column count, one (opaque) definition per column, EOF, the rows, EOF. */
function sendResultSet(client: FakeConnection, columns: number, rows: (string | null)[][], end: Buffer = EOF): void {
  client.send(Buffer.from([columns]));
  for (let i = 0; i < columns; i++) client.send(Buffer.concat([lengthEncoded('def'), lengthEncoded(`column ${i}`)]));
  client.send(EOF);
  for (const row of rows) client.send(Buffer.concat(row.map(lengthEncoded)));
  client.send(end);
}

/** Greeting and login with mysql_native_password; returns the handshake response's flags and its bytes after the auth data. */
async function logIn(client: FakeConnection): Promise<{ flags: number; afterAuth: string }> {
  const scramble = newScramble();
  client.send(greeting({ version: '5.5.5-10.11.6-MariaDB', plugin: 'mysql_native_password', scramble }));
  const payload = await client.readPayload();
  const flags = payload.readUInt32LE(0);
  const authAt = payload.indexOf(0, 32) + 1;
  const authLength = payload.readUInt8(authAt);
  expect(nativeAnswerMatches(payload.subarray(authAt + 1, authAt + 1 + authLength), PASSWORD, scramble)).toBe(true);
  client.send(OK);
  return { flags, afterAuth: payload.subarray(authAt + 1 + authLength).toString('utf8') };
}

/** The next COM_QUERY's SQL text. */
async function query(client: FakeConnection): Promise<string> {
  const packet = await client.read();
  expect(packet?.sequence).toBe(0);
  expect(packet?.payload[0]).toBe(0x03);
  return packet?.payload.subarray(1).toString('utf8') ?? '';
}

const inspector = wireProtocolInspector({ connectTimeoutMs: 2000, deadlineMs: 3000 });

describe('inspecting a database over the MySQL protocol', () => {
  it('logs in without a default database and names the database only as a hex literal', async () => {
    const name = `sh'op\`"\\; DROP DATABASE x; -- `;
    const sent: string[] = [];
    const connection = await serve(async (client) => {
      const { flags, afterAuth } = await logIn(client);
      expect(flags & CLIENT_CONNECT_WITH_DB).toBe(0);
      expect(afterAuth).toBe('mysql_native_password\0');
      sent.push(await query(client));
      sendResultSet(client, 2, []);
      expect((await client.read())?.payload).toEqual(Buffer.from([0x01])); // COM_QUIT
    });

    expect(await inspector.inspect(connection, PASSWORD, name)).toEqual({ database: name, exists: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(sqlText(name));
    expect(sent[0]).not.toContain("sh'op");
    expect(sqlText(name)).toMatch(/^_utf8mb4 X'[0-9a-f]+'$/);
    expect(Buffer.from(/X'([0-9a-f]+)'/.exec(sqlText(name))?.[1] ?? '', 'hex').toString('utf8')).toBe(name);
  });

  it('reads rows of length-encoded values: NULL sizes for views, long names, numbers as text', async () => {
    const longName = `t_${'é'.repeat(150)}`; // 302 bytes: a two-byte length
    const connection = await serve(async (client) => {
      await logIn(client);
      expect(await query(client)).toMatch(/FROM information_schema\.SCHEMATA WHERE SCHEMA_NAME = _utf8mb4 X'73686f70'$/);
      sendResultSet(client, 2, [['SHOP', '0'], ['shop', '0']]);
      expect(await query(client)).toMatch(/FROM information_schema\.TABLES WHERE TABLE_SCHEMA = _utf8mb4 X'73686f70' COLLATE utf8mb4_bin ORDER BY TABLE_NAME LIMIT 500$/);
      sendResultSet(client, 4, [
        [longName, 'BASE TABLE', '1234', '65536'],
        ['recent_orders', 'VIEW', null, null],
        ['unsized', 'BASE TABLE', null, null],
      ]);
    });

    expect(await inspector.inspect(connection, PASSWORD, 'shop')).toEqual({
      database: 'shop',
      exists: true,
      tableCount: 3,
      tables: [
        { name: longName, kind: 'table', approxRows: 1234, bytes: 65536 },
        { name: 'recent_orders', kind: 'view' },
        { name: 'unsized', kind: 'table' },
      ],
    });
  });

  it('takes the stored name where the server folds case (lower_case_table_names 1), and no other case where it does not', async () => {
    const answer = (folds: string) =>
      serve(async (client) => {
        await logIn(client);
        await query(client);
        sendResultSet(client, 2, [['shop', folds]]);
        if (folds === '0') return;
        await query(client);
        sendResultSet(client, 4, []);
      });

    expect(await inspector.inspect(await answer('1'), PASSWORD, 'Shop')).toEqual({ database: 'shop', exists: true, tableCount: 0, tables: [] });
    const folding = server;
    await folding?.close();
    expect(folding?.failures).toEqual([]);
    expect(await inspector.inspect(await answer('0'), PASSWORD, 'Shop')).toEqual({ database: 'Shop', exists: false });
  });

  it("rejects with the server's ERR (sent instead of rows, or after some), the password never in it", async () => {
    const connection = await serve(async (client) => {
      await logIn(client);
      await query(client);
      sendResultSet(client, 2, [['shop', '0']]);
      await query(client);
      sendResultSet(client, 4, [['a', 'BASE TABLE', '1', '1']], errPacket(1317, `Query execution was interrupted (${PASSWORD})`, '70100'));
    });

    const error = await inspector.inspect(connection, PASSWORD, 'shop').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe('ERROR 1317 (70100): Query execution was interrupted ([redacted])');
  });

  it('rejects a result set without its EOF after the column definitions as malformed', async () => {
    const connection = await serve(async (client) => {
      await logIn(client);
      await query(client);
      client.send(Buffer.from([1]));
      client.send(lengthEncoded('def'));
      client.send(Buffer.concat([lengthEncoded('shop'), lengthEncoded('0')]));
    });

    await expect(inspector.inspect(connection, PASSWORD, 'shop')).rejects.toThrow(/sent a malformed result set \(no EOF after its column definitions\)/);
  });
});
