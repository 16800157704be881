import { describe, expect, it } from 'vitest';
import { CreateRestoreSchema } from '../../../types/restore.ts';
import {
  confirmationNeeded,
  databaseNameProblem,
  describeContents,
  restoreBody,
  restoreReady,
  type RestoreChoice,
  type TargetLookup,
} from '../../../web/src/restoreTarget.ts';

const absent: TargetLookup = { state: 'found', inspection: { database: 'shop_restored', exists: false } };
const present: TargetLookup = {
  state: 'found',
  inspection: {
    database: 'shop',
    exists: true,
    tableCount: 2,
    tables: [
      { name: 'orders', kind: 'table', approxRows: 10, bytes: 16384 },
      { name: 'recent', kind: 'view' },
    ],
  },
};
const failed: TargetLookup = {
  state: 'failed',
  reason: 'cannot inspect database "shop": ERROR 1045 (28000): Access denied',
};
const checking: TargetLookup = { state: 'checking' };

const choice = (overrides: Partial<RestoreChoice>): RestoreChoice => ({
  database: 'shop',
  intoNew: false,
  confirm: '',
  lookup: present,
  ...overrides,
});

describe('the restore dialog asks for the name to be typed again', () => {
  it('always when restoring over the source database, whatever the lookup says (or if it failed)', () => {
    for (const lookup of [absent, present, failed, checking])
      expect({ lookup: lookup.state, needed: confirmationNeeded(false, lookup) }).toEqual({
        lookup: lookup.state,
        needed: true,
      });
  });

  it('into a "new" database only when it exists already or could not be checked', () => {
    expect(confirmationNeeded(true, absent)).toBe(false);
    expect(confirmationNeeded(true, present)).toBe(true);
    expect(confirmationNeeded(true, failed)).toBe(true);
  });
});

describe('the Restore button', () => {
  it('needs the exact name where confirmation is needed: not another case, not with a space', () => {
    expect(restoreReady(choice({ confirm: '' }))).toBe(false);
    expect(restoreReady(choice({ confirm: 'Shop' }))).toBe(false);
    expect(restoreReady(choice({ confirm: 'shop ' }))).toBe(false);
    expect(restoreReady(choice({ confirm: 'shop' }))).toBe(true);
  });

  it('lets a restore over a database that could not be looked into go ahead once the name is typed', () => {
    expect(restoreReady(choice({ lookup: failed }))).toBe(false);
    expect(restoreReady(choice({ lookup: failed, confirm: 'shop' }))).toBe(true);
  });

  it('waits for the lookup of a "new" database, so an existing one is never overwritten unconfirmed', () => {
    expect(restoreReady(choice({ intoNew: true, database: 'shop_restored', lookup: checking }))).toBe(false);
    expect(restoreReady(choice({ intoNew: true, database: 'shop_restored', lookup: absent }))).toBe(true);
    expect(restoreReady(choice({ intoNew: true, database: 'shop', lookup: present }))).toBe(false);
    expect(restoreReady(choice({ intoNew: true, database: 'shop', lookup: present, confirm: 'shop' }))).toBe(true);
  });

  it("refuses a name the API would refuse, with the API's message", () => {
    expect(databaseNameProblem('')).toBe('database is required');
    expect(databaseNameProblem('x'.repeat(65))).toBe('database names are at most 64 characters');
    expect(databaseNameProblem('ends with space ')).toBe('database name must not contain NUL or end with a space');
    expect(databaseNameProblem("o'dd `name`")).toBeUndefined();
    expect(restoreReady(choice({ intoNew: true, database: 'x'.repeat(65), lookup: absent }))).toBe(false);
  });
});

describe('the restore body', () => {
  it('repeats the name itself for a new database, and sends what was typed otherwise, as the API checks', () => {
    const intoNew = restoreBody('b-1', 'src-1', choice({ intoNew: true, database: 'shop_restored', lookup: absent }));
    expect(intoNew).toEqual({
      backupId: 'b-1',
      targetSourceId: 'src-1',
      targetDatabase: 'shop_restored',
      confirmDatabase: 'shop_restored',
    });
    expect(CreateRestoreSchema.safeParse(intoNew).success).toBe(true);

    // Typed wrong (the button is disabled then): the API would refuse it too.
    const over = restoreBody('b-1', 'src-1', choice({ confirm: 'shpo' }));
    expect(over.confirmDatabase).toBe('shpo');
    expect(CreateRestoreSchema.safeParse(over).success).toBe(false);
  });
});

describe('what the target holds, in words', () => {
  it('counts tables and views, and says when the list is cut', () => {
    if (present.state !== 'found' || !present.inspection.exists) throw new Error('fixture');
    expect(describeContents(present.inspection)).toBe('1 table and 1 view');
    expect(
      describeContents({ ...present.inspection, tableCount: 1, tables: [{ name: 'orders', kind: 'table' }] }),
    ).toBe('1 table');
    expect(describeContents({ ...present.inspection, tableCount: 0, tables: [] })).toBe('0 tables');
    expect(
      describeContents({
        ...present.inspection,
        tableCount: 620,
        tables: Array.from({ length: 500 }, (_, i) => ({ name: `t${i}`, kind: 'table' as const })),
      }),
    ).toBe('620 tables and views (the first 500 listed)');
  });
});
