import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call, type ApiRequest } from '../../support/api.ts';
import { SOURCE, SOURCES, sourceBody, startDataSourceApi, type DataSourceApi, type Route } from './dataSourceApi.ts';

let api: DataSourceApi;
beforeAll(async () => {
  api = await startDataSourceApi();
});
afterAll(() => api.scheduler.close());

const AUDIT = '/v1/audit';
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('the audit trail', () => {
  it('records every mutating call with its principal, newest first; reads and refused calls leave no event', async () => {
    const alice = 'arn:aws:iam::123456789012:user/alice';
    const bob = 'arn:aws:sts::123456789012:assumed-role/KeepsakeAdmin/bob';
    const created = await call<DataSource>(api.create, {
      method: 'POST',
      resource: SOURCES,
      body: sourceBody({ name: 'Audited' }),
      principal: alice,
    });
    const id = created.body.id;
    const steps: [ApiRequest, Route][] = [
      [{ method: 'GET', resource: SOURCE, pathParameters: { id }, principal: alice }, 'get'],
      [{ method: 'GET', resource: SOURCES, principal: alice }, 'list'],
      [
        {
          method: 'PATCH',
          resource: SOURCE,
          pathParameters: { id },
          body: { port: 3307, password: 'rotated' },
          principal: bob,
        },
        'update',
      ],
      [{ method: 'PATCH', resource: SOURCE, pathParameters: { id }, body: { port: 0 }, principal: bob }, 'update'],
      [{ method: 'POST', resource: `${SOURCE}/disable`, pathParameters: { id }, principal: alice }, 'disable'],
      [{ method: 'POST', resource: `${SOURCE}/enable`, pathParameters: { id }, principal: bob }, 'enable'],
      [{ method: 'DELETE', resource: SOURCE, pathParameters: { id: 'unknown' }, principal: bob }, 'remove'],
      [{ method: 'DELETE', resource: SOURCE, pathParameters: { id }, principal: alice }, 'remove'],
    ];
    for (const [request, route] of steps) {
      await pause(); // events in the same millisecond would order by their random ids
      await call(api[route], request);
    }

    const audit = await call<Page<AuditEvent>>(api.audit, { method: 'GET', resource: AUDIT });
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e) => [e.action, e.principal, e.targetType, e.targetId])).toEqual([
      ['dataSource.delete', alice, 'dataSource', id],
      ['dataSource.enable', bob, 'dataSource', id],
      ['dataSource.disable', alice, 'dataSource', id],
      ['dataSource.update', bob, 'dataSource', id],
      ['dataSource.create', alice, 'dataSource', id],
    ]);
    expect(audit.body.items.find((e) => e.action === 'dataSource.update')?.summary).toBe('changed password, port');
    const times = audit.body.items.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(JSON.stringify(audit.body)).not.toContain('rotated');
  });

  it('pages newest first with a cursor', async () => {
    for (let i = 0; i < 4; i++) {
      await pause();
      await call(api.create, { method: 'POST', resource: SOURCES, body: sourceBody({ name: `Paged ${i}` }) });
    }
    const seen: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await call<Page<AuditEvent>>(api.audit, {
        method: 'GET',
        resource: AUDIT,
        query: { limit: '3', ...(cursor && { cursor }) },
      });
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(9);
    expect(new Set(seen.map((e) => e.id)).size).toBe(9);
    expect(seen.slice(0, 4).map((e) => e.summary)).toEqual(
      [3, 2, 1, 0].map((i) => expect.stringContaining(`"Paged ${i}"`)),
    );
  });
});
