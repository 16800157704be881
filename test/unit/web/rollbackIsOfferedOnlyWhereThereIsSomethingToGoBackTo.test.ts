import { describe, expect, it } from 'vitest';
import { CreateRestoreSchema, type Restore } from '../../../types/restore.ts';
import { shortId } from '../../../web/src/format.ts';
import { restoreBody, type RestoreChoice, type TargetLookup } from '../../../web/src/restoreTarget.ts';
import { restoreTags, wayBack } from '../../../web/src/rollback.ts';

const given = (overrides: Partial<Restore>): Restore => ({
  id: 'r-1',
  backupId: 'b-1',
  sourceId: 'src-1',
  targetSourceId: 'src-1',
  targetDatabase: 'shop',
  status: 'succeeded',
  requestedBy: 'local-admin',
  createdAt: '2026-12-07T10:00:00.000Z',
  ...overrides,
});

describe('the way back from a restore', () => {
  it('offers Roll back once a restore that took a safety backup has succeeded or failed', () => {
    for (const status of ['succeeded', 'failed'] as const) {
      expect(wayBack(given({ status, safetyBackupId: 'safe-1' }))).toEqual({
        kind: 'rollBack',
        safetyBackupId: 'safe-1',
      });
    }
  });

  it('offers nothing while the restore is queued or running', () => {
    for (const status of ['queued', 'running'] as const) {
      expect(wayBack(given({ status, safetyBackupId: 'safe-1' }))).toEqual({ kind: 'pending' });
    }
  });

  it('names the rollback instead of offering a second one', () => {
    expect(wayBack(given({ safetyBackupId: 'safe-1', rolledBackBy: 'r-2' }))).toEqual({
      kind: 'rolledBack',
      by: 'r-2',
    });
  });

  it('offers no Roll back after the automatic rollback put the target back, but again after it failed', () => {
    const finishedAt = '2026-12-07T10:05:00.000Z';
    expect(
      wayBack(given({ status: 'failed', safetyBackupId: 'safe-1', autoRollback: { status: 'succeeded', finishedAt } })),
    ).toEqual({ kind: 'rolledBackAutomatically', safetyBackupId: 'safe-1' });
    expect(
      wayBack(
        given({
          status: 'failed',
          safetyBackupId: 'safe-1',
          autoRollback: { status: 'failed', error: 'lock wait timeout', finishedAt },
        }),
      ),
    ).toEqual({ kind: 'rollBack', safetyBackupId: 'safe-1' });
  });

  it('keeps a cancelled restore’s safety backup restorable without offering Roll back', () => {
    expect(wayBack(given({ status: 'cancelled', safetyBackupId: 'safe-1' }))).toEqual({
      kind: 'keptOnly',
      safetyBackupId: 'safe-1',
    });
  });

  it('says there is nothing to roll back to when the target did not exist', () => {
    expect(wayBack(given({ status: 'succeeded' }))).toEqual({
      kind: 'nothingToRollBackTo',
      reason:
        'shop did not exist before this restore, so no safety backup was needed and there is nothing to roll back to.',
    });
    const failed = wayBack(given({ status: 'failed' }));
    expect(failed.kind).toBe('nothingToRollBackTo');
    expect(failed.kind === 'nothingToRollBackTo' && failed.reason).toMatch(/restore stopped before changing it/);
  });

  it('shows only the object key of a safety backup recorded before they were backup records', () => {
    expect(wayBack(given({ safetyBackupKey: 'src-1/shop/safety.sql.gz' }))).toEqual({
      kind: 'legacyKey',
      key: 'src-1/shop/safety.sql.gz',
    });
  });
});

describe('the tags in the restores list', () => {
  const finishedAt = '2026-12-07T10:05:00.000Z';
  const labels = (restore: Restore) => restoreTags(restore).map((tag) => [tag.label, tag.tone]);

  it('mark rollbacks, rolled-back restores and the automatic rollback’s outcome', () => {
    expect(labels(given({}))).toEqual([]);
    expect(labels(given({ rollbackOf: 'r-0' }))).toEqual([['rollback', 'info']]);
    expect(labels(given({ rolledBackBy: 'r-2' }))).toEqual([['rolled back', 'info']]);
    expect(labels(given({ status: 'failed', autoRollback: { status: 'succeeded', finishedAt } }))).toEqual([
      ['rolled back automatically', 'good'],
    ]);
    expect(
      labels(given({ status: 'failed', rolledBackBy: 'r-2', autoRollback: { status: 'failed', finishedAt } })),
    ).toEqual([
      ['automatic rollback failed', 'bad'],
      ['rolled back', 'info'],
    ]);
  });

  it('explain the failed automatic rollback with its error', () => {
    const [tag] = restoreTags(
      given({ status: 'failed', autoRollback: { status: 'failed', error: 'lock wait timeout', finishedAt } }),
    );
    expect(tag?.title).toBe('The restore failed and so did putting shop back: lock wait timeout');
  });
});

describe('the restore body asks for an automatic rollback', () => {
  const absent: TargetLookup = { state: 'found', inspection: { database: 'shop_restored', exists: false } };
  const present: TargetLookup = {
    state: 'found',
    inspection: { database: 'shop', exists: true, tableCount: 0, tables: [] },
  };
  const choice = (overrides: Partial<RestoreChoice>): RestoreChoice => ({
    database: 'shop',
    intoNew: false,
    confirm: 'shop',
    lookup: present,
    ...overrides,
  });

  it('when the box is ticked over a database that could be overwritten', () => {
    const body = restoreBody('b-1', 'src-1', choice({ rollbackOnFailure: true }));
    expect(body).toEqual({
      backupId: 'b-1',
      targetSourceId: 'src-1',
      targetDatabase: 'shop',
      confirmDatabase: 'shop',
      rollbackOnFailure: true,
    });
    expect(CreateRestoreSchema.safeParse(body).success).toBe(true);
  });

  it('not when the box is clear, nor into a database known to be absent (there is nothing to go back to)', () => {
    expect(restoreBody('b-1', 'src-1', choice({})).rollbackOnFailure).toBeUndefined();
    expect(
      restoreBody(
        'b-1',
        'src-1',
        choice({ intoNew: true, database: 'shop_restored', lookup: absent, rollbackOnFailure: true }),
      ).rollbackOnFailure,
    ).toBeUndefined();
  });
});

describe('short ids in the tables', () => {
  it('tell safety backups apart by their hash, not their common prefix', () => {
    expect(shortId('safety-d9a5fb5e679f97c3b1f70c3e8e6618c5')).toBe('d9a5fb5e');
    expect(shortId('b18fdb48-6c95-4cf9-afb9-dae2eed564da')).toBe('b18fdb48');
  });
});
