import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { markBackupRunning, cancelBackup } from '../../functions/backups/runService.ts';
import { markRestoreRunning, recordRestoreOutcome } from '../../functions/restores/restoreService.ts';
import { putBackupRecords } from '../../functions/shared/repositories/backups.ts';
import { call } from '../support/api.ts';
import {
  BACKUP_MACHINE,
  SOURCE_BACKUPS,
  backupRecord,
  seedSource,
  startBackupApi,
  type BackupApi,
} from '../integration/api/backupApi.ts';

type Body = { backupId?: string; restoreId?: string; error?: string };

let api: BackupApi;
const deps = {
  table: undefined as never,
  now: () => new Date(),
  sfn: undefined as never,
  stateMachineArn: BACKUP_MACHINE,
};

beforeAll(async () => {
  api = await startBackupApi();
  Object.assign(deps, { table: api.table, sfn: api.sfn });
  await seedSource(api.table, 'origin');
  await putBackupRecords(api.table, [backupRecord({ id: 'good', sourceId: 'origin' })]);
});
beforeEach(() => {
  api.sfn.reset();
  api.sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
});

/** A fresh source per test, whose database is `Shop`, so that no test's lock holds another's. */
let sources = 0;
async function given(): Promise<string> {
  const id = `excl-${++sources}`;
  await seedSource(api.table, id, { database: 'Shop' });
  return id;
}

const restoreInto = (targetSourceId: string, targetDatabase: string) =>
  call<Body>(api.createRestore, {
    method: 'POST',
    resource: '/v1/restores',
    body: { backupId: 'good', targetSourceId, targetDatabase, confirmDatabase: targetDatabase },
  });
const backUp = (sourceId: string) =>
  call<Body>(api.trigger, {
    method: 'POST',
    resource: SOURCE_BACKUPS,
    pathParameters: { id: sourceId },
    body: { trigger: 'manual' },
  });
const endRestore = async (id: string) => {
  await markRestoreRunning(deps, id);
  await recordRestoreOutcome(deps, id, { status: 'succeeded', durationMs: 1 });
};

/**
 * A backup of a database taken while a restore writes into it is recorded as a good backup of a half-restored
 * database; two restores into one database interleave. The locks that prevent both compare names as a server that
 * folds case would (`Shop` is `shop`), since the API cannot know the server's `lower_case_table_names`.
 */
describe('a backup and a restore of one database exclude each other', () => {
  it('answers 409 to a restore into `shop` while one into `Shop` is queued', async () => {
    const target = await given();
    const first = await restoreInto(target, 'Shop');
    expect(first.status).toBe(202);

    const second = await restoreInto(target, 'shop');
    expect(second).toMatchObject({
      status: 409,
      body: {
        error: `a restore into database shop of data source ${target} is already queued or running (${first.body.restoreId}): wait for it to end`,
      },
    });

    await endRestore(first.body.restoreId as string);
    expect((await restoreInto(target, 'shop')).status).toBe(202);
  });

  it('answers 409 to a backup of a database a restore is writing into, and takes it once the restore has ended', async () => {
    const source = await given();
    const restore = await restoreInto(source, 'SHOP');
    expect(restore.status).toBe(202);

    const refused = await backUp(source);
    expect(refused).toMatchObject({
      status: 409,
      body: {
        error: `a restore into database Shop of data source ${source} is queued or running (${restore.body.restoreId}): a backup now would record a half-restored database; back it up once the restore has ended`,
      },
    });
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);

    await endRestore(restore.body.restoreId as string);
    expect((await backUp(source)).status).toBe(202);
  });

  it('skips a scheduled backup of a database a restore is writing into', async () => {
    const source = await given();
    const restore = await restoreInto(source, 'shop');
    expect(restore.status).toBe(202);

    await expect(
      markBackupRunning(deps, { backupId: `${source}-nightly`, dataSourceId: source, trigger: 'schedule' }),
    ).rejects.toMatchObject({
      statusCode: 409,
      message: expect.stringMatching(/^a restore into database Shop of data source excl-\d+ is queued or running/),
    });
  });

  it('answers 409 to a restore into a database a backup is taking, while other databases of the source stay free', async () => {
    const source = await given();
    const backup = await backUp(source);
    expect(backup.status).toBe(202);

    const refused = await restoreInto(source, 'shop');
    expect(refused).toMatchObject({
      status: 409,
      body: {
        error: `a backup of database shop of data source ${source} is queued or running (${backup.body.backupId}): restore once it has ended, or cancel it`,
      },
    });
    expect((await restoreInto(source, 'shop_copy')).status).toBe(202);

    await cancelBackup(deps, { backupId: backup.body.backupId as string, principal: 'test' });
    expect((await restoreInto(source, 'shop')).status).toBe(202);
  });

  it('lets exactly one of a backup and a restore started at the same moment through', async () => {
    const source = await given();
    const [backup, restore] = await Promise.all([backUp(source), restoreInto(source, 'Shop')]);
    expect([backup.status, restore.status].sort()).toEqual([202, 409]);
  });
});
