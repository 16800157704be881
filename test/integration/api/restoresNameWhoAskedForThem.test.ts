import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreItem } from '../../../functions/shared/repositories/restores.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Page } from '../../../types/api.ts';
import { cognitoPrincipal } from '../../../types/audit.ts';
import { ListedRestoreSchema, RestorePageSchema, type ListedRestore, type Restore } from '../../../types/restore.ts';
import { call, useTestTable } from '../../support/api.ts';
import type { Handler } from './backupApi.ts';

const POOL = 'eu-west-1_AbCdEfGhI';
const ADA = '1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const ALICE = 'arn:aws:iam::123456789012:user/alice';

/** The user pool, stubbed in this process: the handlers' own client is the one answered. */
const cognito = mockClient(CognitoIdentityProviderClient);
let table: TableRef;
let listRestores: Handler;
let getRestore: Handler;

const restore = (id: string, requestedBy: string, minute: number): Restore => ({
  id,
  backupId: 'bk-1',
  sourceId: 'src-1',
  targetSourceId: 'src-1',
  targetDatabase: 'shop_copy',
  status: 'succeeded',
  requestedBy,
  createdAt: new Date(Date.parse('2026-03-01T12:00:00Z') + minute * 60_000).toISOString(),
});

beforeAll(async () => {
  table = await useTestTable();
  process.env.USER_POOL_ID = POOL;
  cognito
    .on(AdminGetUserCommand, { UserPoolId: POOL, Username: ADA })
    .resolves({ Username: ADA, UserAttributes: [{ Name: 'email', Value: 'ada@example.com' }] });
  listRestores = (await import('../../../functions/restores/listRestores.ts')).handler;
  getRestore = (await import('../../../functions/restores/getRestore.ts')).handler;
  for (const r of [restore('r-ada', cognitoPrincipal(ADA), 1), restore('r-alice', ALICE, 2)]) {
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: restoreItem(r) }));
  }
});
afterAll(() => {
  delete process.env.USER_POOL_ID;
  cognito.restore();
});

describe('restores name the console user who asked for them', () => {
  it('lists each restore with requestedByName for console users, and the IAM caller by their ARN alone', async () => {
    const response = await call<Page<ListedRestore>>(listRestores, { method: 'GET', resource: '/v1/restores' });
    expect(response.status).toBe(200);
    expect(RestorePageSchema.safeParse(response.body).success).toBe(true);
    const mine = response.body.items
      .filter((r) => r.id.startsWith('r-'))
      .map((r) => [r.id, r.requestedBy, r.requestedByName]);
    expect(mine).toEqual([
      ['r-alice', ALICE, undefined],
      ['r-ada', cognitoPrincipal(ADA), 'ada@example.com'],
    ]);
  });

  it('names them on the detail too', async () => {
    const response = await call<ListedRestore>(getRestore, {
      method: 'GET',
      resource: '/v1/restores/{id}',
      pathParameters: { id: 'r-ada' },
    });
    expect(response.status).toBe(200);
    expect(ListedRestoreSchema.parse(response.body)).toMatchObject({
      id: 'r-ada',
      requestedBy: cognitoPrincipal(ADA),
      requestedByName: 'ada@example.com',
    });
    const iam = await call<ListedRestore>(getRestore, {
      method: 'GET',
      resource: '/v1/restores/{id}',
      pathParameters: { id: 'r-alice' },
    });
    expect(iam.body).not.toHaveProperty('requestedByName');
  });
});
