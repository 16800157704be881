import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayEventIdentity } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditItem } from '../../../functions/shared/repositories/audit.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Page } from '../../../types/api.ts';
import { AuditPageSchema, type ListedAuditEvent } from '../../../types/apiAudit.ts';
import { cognitoPrincipal } from '../../../types/audit.ts';
import { call, useTestTable } from '../../support/api.ts';
import { seedSource, type Handler } from './backupApi.ts';

const POOL = 'eu-west-1_AbCdEfGhI';
const ADA = '1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const GONE = '3d8b2e5a-4f6c-4b7d-9e0f-1a2b3c4d5e6f';
const ALICE = 'arn:aws:iam::123456789012:user/alice';

/** The user pool, stubbed in this process: the handler's own client is the one answered. */
const cognito = mockClient(CognitoIdentityProviderClient);
let table: TableRef;
let listAudit: Handler;

/** A console user signed in through the identity pool, as API Gateway's AWS_IAM authorizer describes them. */
const consoleUser = (sub: string): Partial<APIGatewayEventIdentity> => ({
  caller: 'AROAQ3EGRSTUVWXYZ4567:CognitoIdentityCredentials',
  userArn: 'arn:aws:sts::123456789012:assumed-role/Keepsake-AuthadminRole/CognitoIdentityCredentials',
  cognitoAuthenticationType: 'authenticated',
  cognitoAuthenticationProvider: `cognito-idp.eu-west-1.amazonaws.com/${POOL},cognito-idp.eu-west-1.amazonaws.com/${POOL}:CognitoSignIn:${sub}`,
  cognitoIdentityId: 'eu-west-1:0f4c9a52-6b1e-4d7a-9e3f-2a8b7c6d5e41',
});

const list = (query: Record<string, string> = {}) =>
  call<Page<ListedAuditEvent>>(listAudit, { method: 'GET', resource: '/v1/audit', query });
const lookups = () => cognito.commandCalls(AdminGetUserCommand).map((c) => c.args[0].input);

beforeAll(async () => {
  table = await useTestTable();
  process.env.USER_POOL_ID = POOL;
  cognito.on(AdminGetUserCommand, { UserPoolId: POOL, Username: ADA }).resolves({
    Username: ADA,
    UserAttributes: [
      { Name: 'email', Value: 'ada@example.com' },
      { Name: 'sub', Value: ADA },
    ],
  });
  cognito
    .on(AdminGetUserCommand, { UserPoolId: POOL, Username: GONE })
    .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
  listAudit = (await import('../../../functions/audit/listAudit.ts')).handler;

  // Ada disables a source through the real handler, as a console user; the other events are put as their handlers would.
  await seedSource(table, 'src-1');
  const disable = (await import('../../../functions/dataSources/disableDataSource.ts')).handler;
  const disabled = await call(disable, {
    method: 'POST',
    resource: '/v1/data-sources/{id}/disable',
    pathParameters: { id: 'src-1' },
    identity: consoleUser(ADA),
  });
  if (disabled.status !== 200) throw new Error(`disable answered ${disabled.status}: ${JSON.stringify(disabled.body)}`);
  const at = (minute: number) => new Date(Date.parse('2026-03-01T12:00:00Z') + minute * 60_000);
  const put = (principal: string, targetId: string, minute: number) =>
    table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: auditItem({ principal, action: 'backup.delete', targetType: 'backup', targetId }, at(minute)),
      }),
    );
  await put(cognitoPrincipal(ADA), 'bk-1', 1);
  await put(cognitoPrincipal(GONE), 'bk-2', 2);
  await put(ALICE, 'bk-3', 3);
  await put('keepsake:retention', 'bk-4', 4);
});
afterAll(() => {
  delete process.env.USER_POOL_ID;
  cognito.restore();
});

describe('the audit log names console users', () => {
  it('records a console user as cognito:<sub> and lists them by their e-mail, asking the pool once per person', async () => {
    cognito.resetHistory();
    const response = await list();

    expect(response.status).toBe(200);
    expect(AuditPageSchema.safeParse(response.body).success).toBe(true);
    expect(response.body.items.map((e) => [e.targetId, e.principal, e.principalName])).toEqual([
      ['src-1', cognitoPrincipal(ADA), 'ada@example.com'],
      ['bk-4', 'keepsake:retention', undefined],
      ['bk-3', ALICE, undefined],
      // Deleted from the pool: listed by the principal alone.
      ['bk-2', cognitoPrincipal(GONE), undefined],
      ['bk-1', cognitoPrincipal(ADA), 'ada@example.com'],
    ]);
    expect(response.body.items.find((e) => e.targetId === 'bk-3')).not.toHaveProperty('principalName');
    expect(lookups().sort((a, b) => (a.Username ?? '').localeCompare(b.Username ?? ''))).toEqual([
      { UserPoolId: POOL, Username: ADA },
      { UserPoolId: POOL, Username: GONE },
    ]);
  });

  it('filters by the principal a name stands for, and names the page from memory', async () => {
    cognito.resetHistory();
    const response = await list({ principal: cognitoPrincipal(ADA) });

    expect(response.status).toBe(200);
    expect(response.body.items.map((e) => [e.targetId, e.principalName])).toEqual([
      ['src-1', 'ada@example.com'],
      ['bk-1', 'ada@example.com'],
    ]);
    expect(lookups()).toEqual([]);
  });

  it('names nobody without USER_POOL_ID (local mode), and never calls the pool', async () => {
    vi.resetModules();
    delete process.env.USER_POOL_ID;
    cognito.resetHistory();
    const unnamed = (await import('../../../functions/audit/listAudit.ts')).handler;

    const response = await call<Page<ListedAuditEvent>>(unnamed, { method: 'GET', resource: '/v1/audit' });

    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(5);
    expect(response.body.items.filter((e) => 'principalName' in e)).toEqual([]);
    expect(lookups()).toEqual([]);
  });
});
