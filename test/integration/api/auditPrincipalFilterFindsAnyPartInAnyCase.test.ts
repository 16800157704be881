import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SEARCH_READS_PER_CALL } from '../../../functions/audit/auditPage.ts';
import { auditItem, type AuditInput } from '../../../functions/shared/repositories/audit.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Page } from '../../../types/api.ts';
import type { ListedAuditEvent } from '../../../types/apiAudit.ts';
import { cognitoPrincipal } from '../../../types/audit.ts';
import { RETENTION_PRINCIPAL } from '../../../types/retention.ts';
import { call, useTestTable } from '../../support/api.ts';
import type { Handler } from './backupApi.ts';

/**
 * GET /v1/audit?principalContains=…: any part of a principal, or of a console user's e-mail address, in any case,
 * over DynamoDB Local with the user pool stubbed. The matches are spread across the log so that DynamoDB's pages
 * and the API's never line up: every match must come, in order, once.
 */
const POOL = 'eu-west-1_AbCdEfGhI';
const ADA_SUB = '1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const ADA = cognitoPrincipal(ADA_SUB);
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/KeepsakeAdmin/bob';
const CAROL = 'arn:aws:iam::123456789012:user/Carol';
const START = Date.parse('2026-03-01T00:00:00.000Z');
const MINUTE = 60_000;

const cognito = mockClient(CognitoIdentityProviderClient);
let table: TableRef;
let listAudit: Handler;
let documentClient: DynamoDBDocumentClient;

type Seeded = AuditInput & { at: string };
/**
 * Oldest first: Carol once, then SEARCH_READS_PER_CALL + 20 of Bob's (more than one call reads), then 60 events in
 * which Ada (every 7th), Alice (every 11th) and retention (every 13th) are scattered among Bob's.
 */
const seeded: Seeded[] = [
  CAROL,
  ...Array.from({ length: SEARCH_READS_PER_CALL + 20 }, () => BOB),
  ...Array.from({ length: 60 }, (_, i) =>
    i % 7 === 3 ? ADA : i % 11 === 5 ? ALICE : i % 13 === 8 ? RETENTION_PRINCIPAL : BOB,
  ),
].map((principal, i) => ({
  principal,
  action: i % 2 ? 'backup.trash' : 'dataSource.update',
  targetType: i % 2 ? 'backup' : 'dataSource',
  targetId: `t-${i}`,
  summary: `event ${i}`,
  at: new Date(START + i * MINUTE).toISOString(),
}));

beforeAll(async () => {
  table = await useTestTable();
  process.env.USER_POOL_ID = POOL;
  cognito
    .on(AdminGetUserCommand, { UserPoolId: POOL, Username: ADA_SUB })
    .resolves({ Username: ADA_SUB, UserAttributes: [{ Name: 'email', Value: 'Ada.Lovelace@Example.com' }] });
  listAudit = (await import('../../../functions/audit/listAudit.ts')).handler;
  ({ documentClient } = await import('../../../functions/shared/clients.ts'));
  for (let i = 0; i < seeded.length; i += 25) {
    const requests = seeded
      .slice(i, i + 25)
      .map(({ at, ...input }) => ({ PutRequest: { Item: auditItem(input, new Date(at)) } }));
    await table.client.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: requests } }));
  }
}, 60_000);

afterAll(() => {
  delete process.env.USER_POOL_ID;
  cognito.restore();
});

const EMAILS: Record<string, string> = { [ADA]: 'Ada.Lovelace@Example.com' };

/** The seeded events a filter should list, newest first, by their summaries. */
function expected(text: string, more: { targetType?: string; from?: string } = {}): string[] {
  const wanted = text.toLowerCase();
  return seeded
    .filter(
      (e) =>
        (e.principal.toLowerCase().includes(wanted) ||
          (EMAILS[e.principal]?.toLowerCase().includes(wanted) ?? false)) &&
        (!more.targetType || e.targetType === more.targetType) &&
        (!more.from || e.at >= more.from),
    )
    .reverse()
    .map((e) => e.summary ?? '');
}

const list = (query: Record<string, string>) =>
  call<Page<ListedAuditEvent> & { error?: string; fields?: Record<string, string> }>(listAudit, {
    method: 'GET',
    resource: '/v1/audit',
    query,
  });

/** Every page of a filter, following `nextCursor`, with what each call answered and how many events it read. */
async function listAll(query: Record<string, string>) {
  const calls: { items: string[]; read: number }[] = [];
  let cursor: string | undefined;
  do {
    const spy = vi.spyOn(documentClient, 'send');
    const response = await list({ ...query, ...(cursor && { cursor }) });
    const read = spy.mock.calls.reduce(
      (sum, [command]) => sum + Number((command as unknown as { input: { Limit?: number } }).input.Limit ?? 0),
      0,
    );
    spy.mockRestore();
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    calls.push({ items: response.body.items.map((e) => e.summary ?? ''), read });
    cursor = response.body.nextCursor;
  } while (cursor);
  return { summaries: calls.flatMap((c) => c.items), calls };
}

describe('the audit log finds a principal by any part of it or of their e-mail, in any case', () => {
  it.each([
    ['part of an e-mail address, in another case', 'ada.LOVELACE@example', {}],
    ['part of a console principal', '2d4a-4F5B', {}],
    ['part of an ARN, in another case', 'USER/ALICE', {}],
    ['a word of retention', 'Retention', {}],
    ['with a kind of target', 'lovelace', { targetType: 'backup' }],
    ['within a date range', 'ada', { from: new Date(START + 540 * MINUTE).toISOString() }],
  ])('lists every match of %s, newest first, once, over pages of 4', async (_name, text, more) => {
    const { summaries, calls } = await listAll({ principalContains: text, limit: '4', ...more });

    expect(summaries).toEqual(expected(text, more));
    expect(summaries.length).toBeGreaterThan(1);
    for (const call of calls) expect(call.items.length).toBeLessThanOrEqual(4);
    // The first call already reaches past DynamoDB's first page of 4 for matches.
    expect(calls[0]?.items).toEqual(expected(text, more).slice(0, 4));
  });

  it('finds a match that lies behind more events than a call reads, by going on from the cursor', async () => {
    const { summaries, calls } = await listAll({ principalContains: 'carol', limit: '25' });

    expect(summaries).toEqual(['event 0']);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls[0]?.items).toEqual([]);
    for (const call of calls) expect(call.read).toBeLessThanOrEqual(SEARCH_READS_PER_CALL);
  });

  it('names console users on the page it answers, as without the filter', async () => {
    const response = await list({ principalContains: 'lovelace', limit: '2' });

    expect(response.body.items.map((e) => [e.principal, e.principalName])).toEqual([
      [ADA, 'Ada.Lovelace@Example.com'],
      [ADA, 'Ada.Lovelace@Example.com'],
    ]);
  });

  it('answers an empty list, without a cursor, when nobody matches', async () => {
    expect((await listAll({ principalContains: 'nobody@example.com', limit: '100' })).summaries).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['longer than an e-mail address can be', 'a'.repeat(321)],
  ])('answers 400 naming principalContains when it is %s', async (_name, text) => {
    const response = await list({ principalContains: text });

    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields ?? {})).toEqual(['principalContains']);
    expect(response.body.error).toContain('principalContains');
  });
});
