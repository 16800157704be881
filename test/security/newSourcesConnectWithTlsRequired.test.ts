import { afterEach, describe, expect, it } from 'vitest';
import { wireProtocolTester } from '../../functions/dataSources/connectionTester.ts';
import { toDataSource, type DataSourceRecord } from '../../functions/shared/repositories/dataSources.ts';
import { CreateDataSourceSchema, type Connection } from '../../types/dataSource.ts';
import { NEW_SOURCE_VALUES } from '../../web/src/dataSourceForm.ts';
import { PASSWORD } from '../unit/api/dataSourceFixtures.ts';
import { greeting, newScramble, startFakeServer, type FakeServer } from '../support/fakeMysqlServer.ts';

// `preferred` falls back to cleartext whenever the greeting offers no TLS, which anyone in the path can arrange:
// a new source gets `required` unless it names another mode, and `required` stops before any credential leaves.

const NEW_SOURCE = {
  name: 'Shop',
  engine: 'mysql',
  host: 'db.example.com',
  database: 'shop',
  username: 'backup',
  password: 'pw',
} as const;

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  expect(server?.failures ?? []).toEqual([]);
  server = undefined;
});

describe('new sources connect with TLS required', () => {
  it('gives a source created without a TLS setting (or without a mode) tls mode "required", in the API and the console', () => {
    expect(CreateDataSourceSchema.parse(NEW_SOURCE).tls).toEqual({ mode: 'required' });
    expect(CreateDataSourceSchema.parse({ ...NEW_SOURCE, tls: {} }).tls).toEqual({ mode: 'required' });
    expect(CreateDataSourceSchema.parse({ ...NEW_SOURCE, tls: { mode: 'preferred' } }).tls).toEqual({
      mode: 'preferred',
    });
    expect(NEW_SOURCE_VALUES.tls).toEqual({ mode: 'required' });
  });

  it('reads a source stored before it had a TLS setting as it always connected ("preferred")', () => {
    const stored = {
      id: 'src-1',
      name: 'Old',
      engine: 'mysql',
      host: 'db',
      port: 3306,
      database: 'shop',
      username: 'u',
      enabled: true,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    // As DynamoDB returns it: no `tls` attribute at all.
    expect(toDataSource({ ...stored, passwordSecretArn: 'arn' } as unknown as DataSourceRecord).tls).toEqual({
      mode: 'preferred',
    });
  });

  for (const mode of ['required', 'verify-ca', 'verify-identity'] as const) {
    it(`with tls mode "${mode}", refuses a server that offers no TLS before sending anything, saying so`, async () => {
      let afterGreeting: unknown = 'not read';
      server = await startFakeServer(async (client) => {
        client.send(greeting({ version: '8.0.36', scramble: newScramble() }));
        afterGreeting = await client.read();
        expect(client.cleartext.includes(Buffer.from(PASSWORD))).toBe(false);
      });
      // By name: verify-identity checks the certificate against it.
      const connection: Connection = {
        engine: 'mysql',
        host: 'localhost',
        port: server.port,
        database: 'shop',
        username: 'backup',
        tls: { mode },
      };
      const result = await wireProtocolTester({ connectTimeoutMs: 2000, deadlineMs: 3000 }).test(connection, PASSWORD);
      expect(result).toMatchObject({
        ok: false,
        error: `localhost:${server.port} does not support TLS, which tls mode '${mode}' requires`,
      });
      await expect.poll(() => afterGreeting).toBeUndefined();
    });
  }
});
