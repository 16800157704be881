import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mysqlClientTester } from '../../../functions/dataSources/connectionTester.ts';
import { testDataSourceConnection } from '../../../functions/dataSources/service.ts';
import { passwordSecret } from '../../../functions/shared/secretStore.ts';
import type { Connection } from '../../../types/dataSource.ts';
import { PASSWORD, SECRET_ARN, ddb, deps, rejectionOf, resetMocks, restoreMocks, secretsManager, storedItem } from './dataSourceFixtures.ts';

beforeEach(resetMocks);
afterAll(restoreMocks);

describe('testing a data source through the service', () => {
  it('hands the tester the stored connection and the password read from its secret, and returns its answer', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: passwordSecret(PASSWORD) });
    const test = vi.fn(async () => ({ ok: true as const, serverVersion: '8.0.36', durationMs: 12 }));

    const result = await testDataSourceConnection(deps({ tester: { test } }), 'src-1');

    expect(result).toEqual({ ok: true, serverVersion: '8.0.36', durationMs: 12 });
    expect(test).toHaveBeenCalledWith(
      { engine: 'mysql', host: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com', port: 3306, database: 'shop', username: 'backup', tls: { mode: 'required' } },
      PASSWORD,
    );
  });

  it('answers 502 when the secret is unreadable, without calling the tester', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'plain text, not ours' });
    const test = vi.fn();
    const error = await rejectionOf(testDataSourceConnection(deps({ tester: { test } }), 'src-1'));
    expect(error.statusCode).toBe(502);
    expect(error.message).toBe('cannot read the stored password: the stored secret is not JSON');
    expect(test).not.toHaveBeenCalled();
  });

  it('answers 404 for an unknown id', async () => {
    ddb.on(GetCommand).resolves({});
    expect((await rejectionOf(testDataSourceConnection(deps(), 'nope'))).statusCode).toBe(404);
  });
});

describe('the mysql-client connection tester', () => {
  let dir: string;
  const connection: Connection = { engine: 'mysql', host: 'db.example.com', port: 3306, database: 'shop', username: 'backup', tls: { mode: 'preferred' } };

  /** A stand-in `mysql` client: a shell script; the dump tool only answers `--version`. */
  async function fakeClient(name: string, body: string): Promise<NodeJS.ProcessEnv> {
    const client = join(dir, name);
    await writeFile(client, `#!/bin/sh\n${body}\n`);
    await chmod(client, 0o755);
    return { KEEPSAKE_MYSQL: client, KEEPSAKE_MYSQLDUMP: join(dir, 'dump') };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keepsake-tester-'));
    await writeFile(join(dir, 'dump'), '#!/bin/sh\necho "mysqldump  Ver 8.0.36 for Linux on x86_64"\n');
    await chmod(join(dir, 'dump'), 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports ok with the server version the client printed', async () => {
    const env = await fakeClient('ok', 'printf "8.0.36\\n12\\n"');
    expect(await mysqlClientTester({ env }).test(connection, PASSWORD)).toEqual({ ok: true, serverVersion: '8.0.36', durationMs: expect.any(Number) });
  });

  it("reports the client's own error, with the password redacted even when the client prints it", async () => {
    const env = await fakeClient('denied', `echo "ERROR 1045 (28000): Access denied for user 'backup' (password ${PASSWORD.replace(/["$\\`]/g, '\\$&')})" >&2; exit 1`);
    const result = await mysqlClientTester({ env }).test(connection, PASSWORD);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toMatch(/Access denied for user 'backup'/);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it('gives up at its deadline on a server that never answers', async () => {
    const env = await fakeClient('silent', 'sleep 3');
    const started = Date.now();
    const result = await mysqlClientTester({ env, connectTimeoutSeconds: 1, deadlineMs: 700 }).test(connection, PASSWORD);
    expect(result).toEqual({ ok: false, error: 'no answer from db.example.com:3306 within 1 s', durationMs: expect.any(Number) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('bounds a test at about 10 s by default (8 s connect timeout plus 2 s)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const env = await fakeClient('silent2', 'sleep 3');
      const pending = mysqlClientTester({ env }).test(connection, PASSWORD);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(await pending).toMatchObject({ ok: false, error: 'no answer from db.example.com:3306 within 10 s' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('says so when no client tools are installed', async () => {
    const result = await mysqlClientTester({ env: { PATH: dir } }).test(connection, PASSWORD);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/client tools not found/) });
  });
});
