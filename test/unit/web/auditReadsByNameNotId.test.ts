import { describe, expect, it } from 'vitest';
import type { AuditRef } from '../../../types/apiAudit.ts';
import { summaryParts } from '../../../types/audit.ts';
import { entityName, principalLabel, summaryText } from '../../../web/src/auditText.ts';
import { jobTitle } from '../../../web/src/format.ts';

const SHOP = '0f4c9a52-6b1e-4d7a-9e3f-2a8b7c6d5e41';
const GONE = '3d8b2e5a-4f6c-4b7d-9e0f-1a2b3c4d5e6f';
const BACKUP = '7e1d2c3b-4a5f-4e6d-8c7b-9a0f1e2d3c4b';
const SAFETY = `safety-${'ab12'.repeat(8)}`;
const RESTORE = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
const SCHEDULE = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const CREATED = '2026-03-01T10:00:00.000Z';

const refs: AuditRef[] = [
  { type: 'dataSource', id: SHOP, name: 'shop (production)' },
  { type: 'backup', id: BACKUP, sourceId: SHOP, sourceName: 'shop (production)', database: 'shop', createdAt: CREATED },
  { type: 'backup', id: SAFETY, sourceId: GONE, database: 'legacy', createdAt: CREATED },
  { type: 'restore', id: RESTORE, sourceId: SHOP, sourceName: 'shop (production)', database: 'shop_copy' },
  {
    type: 'schedule',
    id: SCHEDULE,
    cron: '30 1 * * 1,3',
    timeZone: 'Europe/Berlin',
    sourceId: SHOP,
    sourceName: 'shop (production)',
  },
];

describe('the audit log reads by name, not id', () => {
  it('names each kind of target as people know it, and what is gone as deleted with its short id', () => {
    expect(entityName(refs, 'dataSource', SHOP)).toBe('shop (production)');
    expect(entityName(refs, 'backup', BACKUP)).toBe(jobTitle('shop (production)', 'shop', CREATED));
    expect(entityName(refs, 'backup', SAFETY)).toBe(jobTitle('deleted source (3d8b2e5a…)', 'legacy', CREATED));
    expect(entityName(refs, 'restore', RESTORE)).toBe('→ shop (production)/shop_copy');
    expect(entityName(refs, 'schedule', SCHEDULE)).toBe(
      'weekly on Mon, Wed at 01:30 Europe/Berlin · shop (production)',
    );
    expect(entityName([{ ...refs[4], name: 'Twice a week' } as AuditRef], 'schedule', SCHEDULE)).toBe(
      'Twice a week · shop (production)',
    );
    expect(entityName(refs, 'dataSource', GONE)).toBe('deleted source (3d8b2e5a…)');
    expect(entityName(refs, 'restore', GONE)).toBe('deleted restore (3d8b2e5a…)');
  });

  it.each([
    // As the schedule, backup, trash and restore services write them.
    [
      `"0 2 * * *" Europe/Berlin for data source ${SHOP}`,
      'daily at 02:00 Europe/Berlin for data source shop (production)',
    ],
    [`"30 1 * * 1,3" UTC for data source ${GONE}`, 'weekly on Mon, Wed at 01:30 UTC for deleted source (3d8b2e5a…)'],
    [`data source ${SHOP}, trigger manual`, 'data source shop (production), trigger manual'],
    [
      `data source ${GONE}: GFS: not among the 3 latest backups`,
      'deleted source (3d8b2e5a…): GFS: not among the 3 latest backups',
    ],
    [
      `backup ${BACKUP} into data source ${SHOP}, database shop_copy`,
      `backup ${jobTitle('shop (production)', 'shop', CREATED)} into data source shop (production), database shop_copy`,
    ],
    [
      `restore ${RESTORE} rolled back: its safety backup ${SAFETY} into data source ${SHOP}, database shop`,
      `restore → shop (production)/shop_copy rolled back: its safety backup ${jobTitle('deleted source (3d8b2e5a…)', 'legacy', CREATED)} into data source shop (production), database shop`,
    ],
    // Words after "backup" in a reason are no id, and a source's quoted name is no cron.
    ['manual backup older than 30 days', 'manual backup older than 30 days'],
    ['"shop (production)" (mariadb db.internal:3306/shop)', '"shop (production)" (mariadb db.internal:3306/shop)'],
    ['"not a cron at all" Europe/Berlin', '"not a cron at all" Europe/Berlin'],
    ['"0 2 * * *" Mars/Olympus', '"0 2 * * *" Mars/Olympus'],
  ])('reads %j as %j', (summary, text) => {
    expect(summaryText(summary, refs)).toBe(text);
  });

  it('keeps every character of a summary in its parts', () => {
    const summary = `"0 2 * * *" UTC for data source ${SHOP}; backup ${BACKUP}: done`;
    const parts = summaryParts(summary);
    expect(parts.map((part) => ('text' in part ? 'text' : 'cron' in part ? 'cron' : part.mention))).toEqual([
      'cron',
      'text',
      'dataSource',
      'text',
      'backup',
      'text',
    ]);
  });

  it('calls console users by e-mail and the retention sweep "Retention", and leaves other principals as they are', () => {
    expect(principalLabel({ principal: 'cognito:abc', principalName: 'ada@example.com' })).toBe('ada@example.com');
    expect(principalLabel({ principal: 'keepsake:retention' })).toBe('Retention');
    expect(principalLabel({ principal: 'arn:aws:iam::123456789012:user/alice' })).toBeUndefined();
  });
});
