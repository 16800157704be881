import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { testDataSourceConnection } from '../../../functions/dataSources/dataSourceService.ts';
import { passwordSecret } from '../../../functions/shared/secretStore.ts';
import {
  PASSWORD,
  SECRET_ARN,
  ddb,
  deps,
  rejectionOf,
  resetMocks,
  restoreMocks,
  secretsManager,
  storedItem,
} from './dataSourceFixtures.ts';

beforeEach(resetMocks);
afterAll(restoreMocks);

describe('testing a data source through the service', () => {
  it('hands the tester the stored connection and the password read from its secret, and returns its answer', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: passwordSecret(PASSWORD) });
    const test = vi.fn(async () => ({
      ok: true as const,
      serverVersion: '8.0.36',
      tls: 'verified' as const,
      tlsProtocol: 'TLSv1.3',
      durationMs: 12,
    }));

    const result = await testDataSourceConnection(deps({ tester: { test } }), 'src-1');

    expect(result).toEqual({
      ok: true,
      serverVersion: '8.0.36',
      tls: 'verified',
      tlsProtocol: 'TLSv1.3',
      durationMs: 12,
    });
    expect(test).toHaveBeenCalledWith(
      {
        engine: 'mysql',
        host: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com',
        port: 3306,
        database: 'shop',
        username: 'backup',
        tls: { mode: 'required' },
      },
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
