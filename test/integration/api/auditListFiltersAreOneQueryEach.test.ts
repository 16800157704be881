import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeCursor } from '../../../functions/shared/keys.ts';
import { auditItem, type AuditInput } from '../../../functions/shared/repositories/audit.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import { call, useTestTable, type ApiRequest } from '../../support/api.ts';
import type { Handler } from './backupApi.ts';

const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/KeepsakeAdmin/bob';
const SWEEPER = 'keepsake:retention';
const START = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;

let table: TableRef;
let listAudit: Handler;
/** The handler's shared client, imported after the test table's endpoint is set (it is created at load). */
let documentClient: DynamoDBDocumentClient;

/** 36 events 4 hours apart from 2026-03-01T00:00Z (six days): principals, kinds of target and targets cycle at different rates. */
const seeded: (AuditInput & { at: string })[] = Array.from({ length: 36 }, (_, i) => {
  const principal = [ALICE, BOB, SWEEPER][i % 3] as string;
  const [targetType, targetId] = (
    [
      ['dataSource', 'src-1'],
      ['backup', 'bk-1'],
      ['dataSource', 'src-2'],
      ['backup', 'bk-2'],
    ] as const
  )[i % 4] as readonly [AuditInput['targetType'], string];
  return {
    principal,
    action: `${targetType}.update`,
    targetType,
    targetId,
    summary: `event ${i}`,
    at: new Date(START + i * 4 * HOUR).toISOString(),
  };
});

beforeAll(async () => {
  table = await useTestTable();
  listAudit = (await import('../../../functions/audit/listAudit.ts')).handler;
  ({ documentClient } = await import('../../../functions/shared/clients.ts'));
  // Through the same item builder every audited change uses, at chosen times.
  for (const { at, ...input } of seeded)
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: auditItem(input, new Date(at)) }));
});

type Query = Record<string, string>;
const list = (query: Query) =>
  call<Page<AuditEvent> & { error?: string; fields?: Record<string, string> }>(listAudit, {
    method: 'GET',
    resource: '/v1/audit',
    query,
  } satisfies ApiRequest);

/** Follows `nextCursor` to the end. */
async function listAll(query: Query, limit: number): Promise<string[]> {
  const summaries: string[] = [];
  let cursor: string | undefined;
  do {
    const response = await list({ ...query, limit: String(limit), ...(cursor && { cursor }) });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.items.length).toBeLessThanOrEqual(limit);
    summaries.push(...response.body.items.map((e) => e.summary ?? ''));
    cursor = response.body.nextCursor;
  } while (cursor);
  return summaries;
}

/** What a filter should return: the seeded events, newest first, by their summaries. */
function expected(filter: Query): string[] {
  return seeded
    .filter(
      (e) =>
        (!filter.principal || e.principal === filter.principal) &&
        (!filter.targetType || e.targetType === filter.targetType),
    )
    .filter(
      (e) =>
        (!filter.targetId || e.targetId === filter.targetId) &&
        (!filter.from || e.at >= filter.from) &&
        (!filter.to || e.at <= filter.to),
    )
    .sort((a, b) => b.at.localeCompare(a.at))
    .map((e) => e.summary ?? '');
}

/** Every DynamoDB command the handler sends while `run` runs. */
async function commandsDuring(
  run: () => Promise<unknown>,
): Promise<{ name: string; input: Record<string, unknown> }[]> {
  const spy = vi.spyOn(documentClient, 'send');
  await run();
  const commands = spy.mock.calls.map(([command]) => ({
    name: command.constructor.name,
    input: (command as unknown as { input: Record<string, unknown> }).input,
  }));
  spy.mockRestore();
  return commands;
}

const FROM = '2026-03-02T06:00:00.000Z';
const TO = '2026-03-04T20:00:00.000Z';

describe('filtering the audit log', () => {
  it.each([
    [{}, 'gsi1', false],
    [{ from: FROM, to: TO }, 'gsi1', false],
    [{ principal: ALICE }, 'gsi4', false],
    [{ principal: SWEEPER, to: TO }, 'gsi4', false],
    [{ targetType: 'backup' }, 'gsi3', false],
    [{ targetType: 'dataSource', from: FROM }, 'gsi3', false],
    [{ targetType: 'dataSource', targetId: 'src-2' }, 'gsi2', false],
    [{ targetType: 'backup', targetId: 'bk-1', from: FROM, to: TO }, 'gsi2', false],
    // Combinations no index serves alone: the narrower partition is read and the rest filtered.
    [{ targetType: 'backup', targetId: 'bk-2', principal: BOB }, 'gsi2', true],
    [{ principal: ALICE, targetType: 'dataSource' }, 'gsi4', true],
  ] as const)(
    'narrows to %j with Queries on %s (filter expression: %s), over pages of 3',
    async (filter, index, filtered) => {
      let summaries: string[] = [];
      const commands = await commandsDuring(async () => {
        summaries = await listAll(filter, 3);
      });

      expect(summaries).toEqual(expected(filter));
      expect(summaries.length).toBeGreaterThan(0);
      if (Object.keys(filter).length > 0) expect(summaries.length).toBeLessThan(seeded.length);
      const queries = commands.filter((command) => command.name === 'QueryCommand');
      expect(queries.length).toBeGreaterThan(0);
      // Besides, each page's entities are named by GetItem on their own keys (functions/audit/auditRefs.ts).
      expect(commands.filter((command) => command.name !== 'GetCommand')).toEqual(queries);
      for (const command of queries) {
        expect(command.input.IndexName).toBe(index);
        expect(command.input.ScanIndexForward).toBe(false);
        expect(command.input.FilterExpression !== undefined).toBe(filtered);
      }
    },
  );

  it('takes whole days for date-only bounds', async () => {
    const day = await listAll({ from: '2026-03-03', to: '2026-03-03' }, 100);
    expect(day).toEqual(expected({ from: '2026-03-03T00:00:00.000Z', to: '2026-03-03T23:59:59.999Z' }));
    expect(day).toHaveLength(6);
  });

  it('answers an empty page for a principal or entity without events', async () => {
    expect(await listAll({ principal: 'arn:aws:iam::123456789012:user/nobody' }, 10)).toEqual([]);
    expect(await listAll({ targetType: 'restore' }, 10)).toEqual([]);
  });

  const otherListsCursor = encodeCursor({
    pk: 'AUDIT#x',
    sk: 'AUDIT',
    gsi1pk: 'AUDIT',
    gsi1sk: '2026-03-01T00:00:00.000Z#x',
  }) as string;
  it.each([
    ['an unknown target type', { targetType: 'widget' }, 'targetType'],
    ['a target id without its type', { targetId: 'src-1' }, 'targetId'],
    ['a malformed target id', { targetType: 'backup', targetId: 'a b' }, 'targetId'],
    ['an empty principal', { principal: '' }, 'principal'],
    ['a from that is not a date', { from: 'yesterday' }, 'from'],
    ['an impossible date', { to: '2026-02-30' }, 'to'],
    ['from after to', { from: '2026-03-04', to: '2026-03-03' }, 'from'],
    ['a cursor from another filter', { principal: ALICE, cursor: otherListsCursor }, 'cursor'],
    ['limit 0', { limit: '0' }, 'limit'],
  ])('answers 400 naming the field for %s', async (_name, query, field) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields ?? {})).toEqual([field]);
    expect(response.body.error).toContain(field);
  });
});
