import type { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '../../../infra/constructs/orchestration/Orchestration.ts';
import { getBackupRecord, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { readSourceStats } from '../../../functions/shared/repositories/stats.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { PurgeTrashResult } from '../../../types/retention.ts';
import { useTestTable } from '../../support/api.ts';
import {
  DAY_MS,
  EXPECTED_KEPT_UTC_DATES,
  nightlyId,
  objectKeys,
  seedBackupHistory,
  seedWithObjects,
  type BackupHistory,
} from '../../support/backupHistory.ts';
import { startFaultyS3Proxy, type FaultyS3Proxy } from '../../support/faultyS3Proxy.ts';
import { bucket, headStatus } from '../../support/runner.ts';
import { services, testS3Client } from '../../support/services.ts';
import { keepsakeTemplate } from '../../../scripts/local/stack.ts';
import { stateMachineDefinition } from '../../../scripts/local/stateMachines.ts';
import { backupRecord } from '../api/backupApi.ts';

// Not the retention test's sources: objects are keyed by source and the bucket is shared.
const GFS_SOURCE = 'machine-gfs';
const PLAIN_SOURCE = 'machine-plain';

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type Outcome = ({ ok: true; output: unknown } | { ok: false; error: Error }) & { readonly events: EventLog[] };

const trashedDaysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

/** The output of the named state (after its ResultPath), once per time it ran: per iteration inside the Map. */
const outputsOf = (events: readonly EventLog[], state: string): unknown[] =>
  events.flatMap((e) => (e.type === 'StateExited' && e.state.name === state ? [e.state.output] : []));
/** What each call of "Purge expired trash" returned (its ResultPath is `$.purge`). */
const purgesOf = (events: readonly EventLog[]): PurgeTrashResult[] =>
  outputsOf(events, STATES.purgeTrash).map((output) => (output as { purge: PurgeTrashResult }).purge);

/**
 * The Sweeper state machine as synthesized, run by aws-local-stepfunctions: its three Lambda tasks (the one in
 * the Map's ItemProcessor included: the library hands the run options, overrides and all, to every iteration)
 * are the real handlers on DynamoDB Local and s3rver. The handlers' S3 goes through a proxy that can refuse
 * DeleteObject the way S3 does for a role without s3:DeleteObject.
 */
describe('Sweeper state machine, run locally end to end', () => {
  let table: TableRef;
  let history: BackupHistory;
  let proxy: FaultyS3Proxy;
  let refuseDeletes = false;
  let failRetentionOf: string | undefined;
  const published: { Subject?: string; Message: string }[] = [];
  let sweep: () => Promise<Outcome>;
  const s3 = () => testS3Client();
  const keysUnder = (prefix: string) => objectKeys(s3(), bucket(), prefix);

  // Past the 7-day grace: purged by the sweep, with their objects (the failed one has none).
  let expiredTrash: BackupRecord[];
  // Within the grace: stays.
  let recentTrash: BackupRecord;

  beforeAll(async () => {
    table = await useTestTable();
    proxy = await startFaultyS3Proxy(services().s3.endpoint, (request) => refuseDeletes && request.method === 'DELETE');
    Object.assign(process.env, {
      KEEPSAKE_S3_ENDPOINT: proxy.endpoint,
      BACKUP_BUCKET_NAME: bucket(),
      DEFAULT_RETENTION: JSON.stringify({ daily: 2, weekly: 0, monthly: 0 }),
    });
    delete process.env.TRASH_GRACE_DAYS;

    // Imported once the environment is set: handlers and the SDK clients they share read it at load.
    const [{ lambdaTask }, { loadLocalStepFunctions }, list, retention, purge, due] = await Promise.all([
      import('../../../scripts/local/orchestration.ts'),
      import('../../../scripts/local/aslRuntime.ts'),
      import('../../../functions/orchestration/listSourceIds.ts'),
      import('../../../functions/orchestration/applyRetention.ts'),
      import('../../../functions/orchestration/purgeTrash.ts'),
      import('../../../functions/orchestration/listDueVerifications.ts'),
    ]);
    const { StateMachine } = await loadLocalStepFunctions();
    const definition = stateMachineDefinition(keepsakeTemplate(), 'OrchestrationSweeper');
    const machine = new StateMachine(definition as never, {
      validationOptions: { checkArn: false, checkPaths: false },
    });
    const handlers = {
      [STATES.listSources]: lambdaTask('listSourceIds', list.handler as never),
      [STATES.sweepSource]: async (input: { sourceId: string }) => {
        if (input.sourceId === failRetentionOf) throw new Error(`table throttled while sweeping ${input.sourceId}`);
        return lambdaTask('applyRetention', retention.handler as never)(input);
      },
      [STATES.notifySweepRetention]: async (notification: { Subject?: string; Message: string }) => {
        published.push(notification);
        return { MessageId: 'm-1' };
      },
      [STATES.purgeTrash]: lambdaTask('purgeTrash', purge.handler as never),
      [STATES.listDueVerifications]: lambdaTask('listDueVerifications', due.handler as never),
      // No schedule here verifies weekly: a start would be a bug.
      [STATES.startDueVerify]: async (input: unknown) => {
        throw new Error(`unexpected verification start ${JSON.stringify(input)}`);
      },
    };
    sweep = async () => {
      // What EventBridge Scheduler sends (`fromObject({})`).
      const execution = machine.run({}, { overrides: { taskResourceLocalHandlers: handlers as never } });
      const events: EventLog[] = [];
      const collected = (async () => {
        for await (const event of execution.eventLogs) events.push(event);
      })();
      try {
        return { ok: true, output: await execution.result, events };
      } catch (error) {
        // aws-local-stepfunctions wraps the Fail state's error (Error = name, Cause = message) in an ExecutionError.
        return { ok: false, error: ((error as Error).cause as Error | undefined) ?? (error as Error), events };
      } finally {
        await collected;
      }
    };

    history = await seedBackupHistory(table, s3(), bucket(), { gfs: GFS_SOURCE, plain: PLAIN_SOURCE });
    expiredTrash = [
      backupRecord({
        id: 'trash-plain-march',
        sourceId: PLAIN_SOURCE,
        createdAt: '2026-03-01T12:00:00.000Z',
        compressedBytes: 70,
        trashedAt: trashedDaysAgo(30),
      }),
      backupRecord({
        id: 'trash-gfs-december',
        sourceId: GFS_SOURCE,
        createdAt: '2025-12-20T22:30:00.000Z',
        compressedBytes: 80,
        trashedAt: trashedDaysAgo(8),
      }),
      backupRecord({
        id: 'trash-failed',
        sourceId: PLAIN_SOURCE,
        status: 'failed',
        createdAt: '2026-03-02T12:00:00.000Z',
        error: 'boom',
        trashedAt: trashedDaysAgo(10),
      }),
    ];
    recentTrash = backupRecord({
      id: 'trash-plain-recent',
      sourceId: PLAIN_SOURCE,
      createdAt: '2026-03-03T12:00:00.000Z',
      compressedBytes: 90,
      trashedAt: trashedDaysAgo(1),
    });
    await seedWithObjects(table, s3(), bucket(), [...expiredTrash, recentTrash]);
  });

  afterAll(() => proxy?.close());

  const recordsOf = (backups: readonly BackupRecord[]) => Promise.all(backups.map((b) => getBackupRecord(table, b.id)));
  const statsOf = async (sourceId: string) => (await readSourceStats(table)).find((s) => s.sourceId === sourceId);

  it('keeps exactly the GFS set, purges the trash past its grace with its objects, and succeeds', async () => {
    const outcome = await sweep();
    expect(outcome).toMatchObject({
      ok: true,
      output: { sources: { sourceIds: expect.arrayContaining([GFS_SOURCE, PLAIN_SOURCE]) } },
    });

    // One Map iteration per source, each through the real handler.
    const expectedKept = EXPECTED_KEPT_UTC_DATES.map(nightlyId);
    const swept = outputsOf(outcome.events, STATES.sweepSource);
    expect(swept).toHaveLength(2);
    expect(swept).toEqual(
      expect.arrayContaining([
        { sourceId: GFS_SOURCE, kept: 12, trashed: expect.any(Array), objectsMissing: [] },
        { sourceId: PLAIN_SOURCE, kept: 2, trashed: ['plain-2026-04-02', 'plain-2026-04-01'], objectsMissing: [] },
      ]),
    );

    // Source GFS: exactly the hand-listed set is left out of the trash; the rest went in (trashed just now, so
    // within the grace: records and objects stay). Failed, cancelled and running backups are untouched.
    const nightly = await recordsOf(history.nightly);
    expect(
      nightly
        .filter((r) => r?.trashedAt === undefined)
        .map((r) => r?.id)
        .sort(),
    ).toEqual([...expectedKept].sort());
    expect(nightly.filter((r) => r?.trashedAt !== undefined)).toHaveLength(108);
    expect(await recordsOf(history.untouchable)).toEqual(history.untouchable);
    expect(await keysUnder(`${GFS_SOURCE}/`)).toEqual(history.nightly.map((b) => b.s3Key).sort());

    // Source PLAIN (DEFAULT_RETENTION, 2 daily): the two newest stay, the two oldest are in the trash.
    expect((await recordsOf(history.plain)).map((r) => ({ id: r?.id, trashed: r?.trashedAt !== undefined }))).toEqual([
      { id: 'plain-2026-04-01', trashed: true },
      { id: 'plain-2026-04-02', trashed: true },
      { id: 'plain-2026-04-03', trashed: false },
      { id: 'plain-2026-04-04', trashed: false },
    ]);

    // The trash past its grace is gone, objects and all; the recent trash is still there.
    expect(purgesOf(outcome.events)).toEqual([{ purged: 3, failed: [], more: false }]);
    expect(await recordsOf(expiredTrash)).toEqual([undefined, undefined, undefined]);
    expect(await getBackupRecord(table, recentTrash.id)).toEqual(recentTrash);
    expect(await keysUnder(`${PLAIN_SOURCE}/`)).toEqual([...history.plain, recentTrash].map((b) => b.s3Key).sort());
    expect(await statsOf(GFS_SOURCE)).toMatchObject({
      storedBackups: 120,
      storedBytes: history.nightly.reduce((sum, b) => sum + (b.compressedBytes ?? 0), 0),
    });
    expect(await statsOf(PLAIN_SOURCE)).toMatchObject({ storedBackups: 5, storedBytes: 50 + 51 + 52 + 53 + 90 });
  });

  // After the sweep above, the only trash past its grace is what this case adds.
  it('ends in "Some trash could not be deleted" when S3 refuses the deletions, and leaves that trash as it was', async () => {
    const stuck = ['2026-02-01', '2026-02-02'].map((d) =>
      backupRecord({
        id: `trash-stuck-${d}`,
        sourceId: PLAIN_SOURCE,
        createdAt: `${d}T12:00:00.000Z`,
        compressedBytes: 60,
        trashedAt: trashedDaysAgo(9),
      }),
    );
    await seedWithObjects(table, s3(), bucket(), stuck);
    refuseDeletes = true;
    let outcome: Outcome;
    try {
      outcome = await sweep();
    } finally {
      refuseDeletes = false;
    }

    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error.name).toBe('PurgeFailed');
      expect(outcome.error.message).toBe('see the Purge expired trash outputs: failed[] names each backup and why');
    }
    const [purged, ...again] = purgesOf(outcome.events);
    expect(again).toEqual([]);
    expect(purged).toMatchObject({ purged: 0, more: false });
    expect(purged?.failed.map((f) => f.backupId).sort()).toEqual(stuck.map((b) => b.id));
    for (const failure of purged?.failed ?? []) expect(failure.error).toMatch(/S3 DeleteObject failed \(AccessDenied/);

    expect(await recordsOf(stuck)).toEqual(stuck);
    for (const backup of stuck) expect(await headStatus(backup.s3Key ?? '')).toBe(200);
    expect(proxy.requests.filter((r) => r.method === 'DELETE' && r.status === 403)).toHaveLength(2);
  });

  it('goes on past a source whose retention fails: the others are swept, the trash purged, and that source e-mailed', async () => {
    const expired = backupRecord({
      id: 'trash-after-failure',
      sourceId: PLAIN_SOURCE,
      createdAt: '2026-02-10T12:00:00.000Z',
      compressedBytes: 61,
      trashedAt: trashedDaysAgo(12),
    });
    await seedWithObjects(table, s3(), bucket(), [expired]);
    failRetentionOf = GFS_SOURCE;
    let outcome: Outcome;
    try {
      outcome = await sweep();
    } finally {
      failRetentionOf = undefined;
    }

    expect(outcome).toMatchObject({ ok: true });
    // The failing source's task exits with its error (after its retries); only the other one was swept.
    const swept = outputsOf(outcome.events, STATES.sweepSource).filter(
      (o) => (o as { kept?: number }).kept !== undefined,
    );
    expect(swept).toEqual([expect.objectContaining({ sourceId: PLAIN_SOURCE })]);
    expect(published).toEqual([
      {
        TopicArn: expect.any(String),
        Subject: 'Keepsake: retention could not be applied',
        Message: `The daily sweep could not apply the retention of data source ${GFS_SOURCE}: table throttled while sweeping ${GFS_SOURCE}. The other sources were swept; the next sweep retries.`,
      },
    ]);
    // The purge still ran (it also takes the trash the previous case could not delete).
    expect(purgesOf(outcome.events).flatMap((p) => p.failed)).toEqual([]);
    expect(await getBackupRecord(table, expired.id)).toBeUndefined();
  });
});
