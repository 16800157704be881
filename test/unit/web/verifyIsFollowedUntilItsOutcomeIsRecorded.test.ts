import { describe, expect, it } from 'vitest';
import type { Backup } from '../../../types/backup.ts';
import { awaitingVerification, pollBackups, type VerifyWatches } from '../../../web/src/queries.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const backup = (overrides: Partial<Backup> = {}): Backup => ({
  id: 'bk-1',
  sourceId: 'src-1',
  database: 'shop',
  status: 'succeeded',
  trigger: 'manual',
  createdAt: '2026-03-01T11:00:00.000Z',
  ...overrides,
});
const before = { status: 'verified', at: '2026-02-01T00:00:00.000Z' } as const;
const watches: VerifyWatches = { 'bk-1': { before: before.at, until: NOW + 60_000 } };

describe('a verification started from the console', () => {
  it('is awaited (and the backup polled every 2 s) until the record shows a newer verification', () => {
    expect(awaitingVerification(backup({ verification: before }), watches, NOW)).toBe(true);
    expect(pollBackups([backup({ verification: before })], watches, NOW)).toBe(2000);
    const after = backup({ verification: { status: 'failed', at: '2026-03-01T12:00:05.000Z', reason: 'x' } });
    expect(awaitingVerification(after, watches, NOW)).toBe(false);
    expect(pollBackups([after], watches, NOW)).toBe(false);
  });

  it('is awaited from "never verified" too, and given up after its time', () => {
    const never: VerifyWatches = { 'bk-1': { before: undefined, until: NOW + 60_000 } };
    expect(awaitingVerification(backup(), never, NOW)).toBe(true);
    expect(awaitingVerification(backup(), never, NOW + 60_000)).toBe(false);
    expect(awaitingVerification(backup({ id: 'bk-2' }), never, NOW)).toBe(false);
  });

  it('leaves the polling of running backups as it was', () => {
    expect(pollBackups([backup({ status: 'running' })], {})).toBe(2000);
    expect(pollBackups([backup()], {})).toBe(false);
    expect(pollBackups(undefined, {})).toBe(false);
  });
});
