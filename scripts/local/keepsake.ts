import './handlerLogLevel.ts';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTableInput } from '../../functions/shared/tableSchema.ts';
import type { Role } from '../../types/roles.ts';
import type { ScheduledBackupInput } from '../../types/schedule.ts';
import { startCronScheduler, type CronEntry } from './cronScheduler.ts';
import { startDynamoDb } from './dynamodb.ts';
import { startLocalHttpApi } from './httpApi.ts';
import { cachedSynthesis } from './machineCache.ts';
import type { TaskHandlers } from './orchestration.ts';
import { S3RVER_CREDENTIALS, startS3rver } from './s3rver.ts';
import { findPostgresBinDir } from './postgres.ts';
import { MACHINE_ARNS, type MachineName } from './stateMachines.ts';
import { startLocalStepFunctions } from './stepFunctionsService.ts';

export interface LocalKeepsakeOptions {
  /** Everything local mode keeps (S3 objects, the DynamoDB table, secrets, runner logs) lives here. */
  readonly dataDir: string;
  /** The API's port on 127.0.0.1; 0 picks a free one. */
  readonly apiPort: number;
  /** Days a trashed backup stays restorable before the sweep deletes it (AWS default: the deploy context's). */
  readonly trashGraceDays?: number;
  /** Where local mode reports what happens (notifications, scheduler problems). */
  readonly log: (line: string) => void;
  /** Told as each part comes up (what it is, where it listens), so that a person watching sees progress. */
  readonly onReady?: (part: string, detail: string) => void;
}

export interface LocalKeepsake {
  readonly apiUrl: string;
  readonly s3Endpoint: string;
  readonly dynamoDbEndpoint: string;
  readonly stepFunctionsEndpoint: string;
  readonly bucket: string;
  readonly principal: string;
  /** Backups and restores a previous run left unfinished, now recorded as failed. */
  readonly recovered: number;
  /** Runs the daily sweep (retention, due verifications, expired trash) now and waits for it. */
  sweep(): Promise<{ status: string }>;
  /** The role the local identity has from now on (admin until then, so local mode can set itself up). */
  actAs(role: Role): void;
  stop(): Promise<void>;
}

export const LOCAL_BUCKET = 'keepsake-local';
/** The console's build (`npm run build:web`), served at the API's origin. */
const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));
const TABLE_NAME = 'keepsake';
/** When the deployed stack's Sweeper runs (see Orchestration): daily at 03:30 UTC. */
const SWEEP: CronEntry = { id: 'daily-sweep', cron: '30 3 * * *', timeZone: 'UTC' };

/**
 * All of Keepsake on one machine, from the code that runs in AWS: s3rver for S3, DynamoDB Local for the table,
 * the synthesized state machines run by aws-local-stepfunctions (the runner as a child process), the API's
 * Lambda handlers behind a local HTTP server, a cron loop over the stored schedules, and an encrypted secret
 * store, all keeping their data under `dataDir` so a restart carries on where the last run stopped.
 * Sets this process's environment for the handlers (one local mode per process).
 */
export async function startLocalKeepsake(options: LocalKeepsakeOptions): Promise<LocalKeepsake> {
  const { dataDir, log } = options;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => log(`stopping: ${(error as Error).message}`));
  };
  try {
    const ready =
      <T>(part: string, detail: (value: T) => string) =>
      (value: T) => {
        options.onReady?.(part, detail(value));
        return value;
      };
    const [s3, dynamodb, { machines, runnerTask, publishers }] = await Promise.all([
      startS3rver(join(dataDir, 's3'), LOCAL_BUCKET).then(
        ready('S3 (s3rver)', (s) => `${s.endpoint}   bucket ${LOCAL_BUCKET}`),
      ),
      startDynamoDb({ dataDir: join(dataDir, 'dynamodb') }).then(ready('DynamoDB Local', (d) => d.endpoint)),
      cachedSynthesis().then(ready('State machines', () => 'synthesized from the CDK app')),
    ]);
    cleanups.push(s3.stop, dynamodb.stop);
    await ensureTable(dynamodb.endpoint);

    const handlers: TaskHandlers = {};
    const stopRunners = { current: (_executionArn: string): void => undefined };
    const stepFunctions = await startLocalStepFunctions({
      machines: (Object.keys(MACHINE_ARNS) as MachineName[]).map((name) => ({
        arn: MACHINE_ARNS[name],
        definition: machines[name],
      })),
      taskHandlers: handlers,
      onStop: (executionArn) => stopRunners.current(executionArn),
    });
    cleanups.push(stepFunctions.close);
    options.onReady?.('Step Functions', stepFunctions.endpoint);

    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, {
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      // Local mode never talks to AWS: every client signs with s3rver's fixed keys (the other stand-ins accept any).
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      TABLE_NAME,
      KEEPSAKE_DYNAMODB_ENDPOINT: dynamodb.endpoint,
      KEEPSAKE_S3_ENDPOINT: s3.endpoint,
      KEEPSAKE_SFN_ENDPOINT: stepFunctions.endpoint,
      BACKUP_BUCKET_NAME: LOCAL_BUCKET,
      KEEPSAKE_SCHEDULER: 'local',
      RUNNER_LOG_DIR: join(dataDir, 'runner-logs'),
      BACKUP_STATE_MACHINE_ARN: MACHINE_ARNS.Backup,
      RESTORE_STATE_MACHINE_ARN: MACHINE_ARNS.Restore,
      VERIFY_STATE_MACHINE_ARN: MACHINE_ARNS.Verify,
      ...(options.trashGraceDays !== undefined && { TRASH_GRACE_DAYS: String(options.trashGraceDays) }),
    });

    // Imported once the environment is set: the handlers and their SDK clients read it at load.
    const [local, { useFileSecretStore }, { tableFromEnv }, { enabledSchedules }, { recoverUnfinishedRuns }] =
      await Promise.all([
        import('./orchestration.ts'),
        import('./secretStores.ts'),
        import('../../functions/shared/tableFromEnv.ts'),
        import('../../functions/orchestration/freshness.ts'),
        import('./recovery.ts'),
      ]);
    // Before any handler loads: each takes its secret store once, at load.
    const secrets = useFileSecretStore(join(dataDir, 'secrets'));
    const table = tableFromEnv();
    const sfn = new SFNClient({ endpoint: stepFunctions.endpoint });
    const start = async (machine: MachineName, input: unknown, name?: string) => {
      const out = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: MACHINE_ARNS[machine],
          input: JSON.stringify(input),
          ...(name && { name }),
        }),
      );
      return out.executionArn ?? '';
    };
    const runner = local.localRunner({
      logDir: join(dataDir, 'runner-logs'),
      secrets,
      task: runnerTask,
      pgClientDir: process.env.KEEPSAKE_PG_CLIENT_DIR ?? (await findPostgresBinDir()),
    });
    stopRunners.current = runner.stop;
    Object.assign(
      handlers,
      await local.localTaskHandlers({
        runner,
        publish: local.localPublish((n) => log(`notification: ${n.Subject ?? ''}\n${n.Message}`), publishers),
        startVerify: async ({ Input }) => ({ ExecutionArn: await start('Verify', Input) }),
      }),
    );

    // Nothing can be running yet: whatever the table still calls running was cut off when local mode last stopped.
    const recovered = await recoverUnfinishedRuns({
      table,
      now: () => new Date(),
      backupStateMachineArn: MACHINE_ARNS.Backup,
      restoreStateMachineArn: MACHINE_ARNS.Restore,
    });

    const sweep = async () => {
      const executionArn = await start('Sweeper', {});
      await stepFunctions.settled(executionArn);
      return { status: await stepFunctions.status(executionArn) };
    };
    const principal = `local:${userInfo().username} (local mode, no IAM)`;
    let role: Role = 'admin';
    const api = await startLocalHttpApi({
      port: options.apiPort,
      principal,
      role: () => role,
      local: {
        // A sweep that did not succeed is not answered 200: a script checking only the status must see it.
        'POST /local/sweep': async () => {
          const result = await sweep();
          return result.status === 'SUCCEEDED'
            ? { status: 200, body: result }
            : { status: 500, body: { error: `the sweep ended ${result.status}`, ...result } };
        },
      },
      console: {
        dir: CONSOLE_DIR,
        config: (origin) => ({ apiUrl: origin, region: 'local', auth: { kind: 'local', principal, role } }),
      },
      // The handlers name it in every answer's CORS header; the API must then let that console in as well.
      ...(process.env.CONSOLE_ORIGIN && { consoleOrigin: process.env.CONSOLE_ORIGIN }),
    });
    cleanups.push(api.close);
    options.onReady?.('API and console', api.url);

    const scheduler = startCronScheduler({
      entries: async (): Promise<(CronEntry & { sourceId?: string })[]> => [SWEEP, ...(await enabledSchedules(table))],
      fire: async (entry, at) => {
        if (entry.sourceId === undefined) {
          await start('Sweeper', {});
          return;
        }
        const input: ScheduledBackupInput = { dataSourceId: entry.sourceId, scheduleId: entry.id, trigger: 'schedule' };
        // Named per schedule and minute, as Scheduler's executions are unique per invocation.
        await start('Backup', input, `${entry.id}-${Math.floor(at.getTime() / 60_000)}`);
      },
      onError: (error) => log(`scheduler: ${(error as Error).message}`),
    });
    cleanups.push(scheduler.stop);
    options.onReady?.('Scheduler', 'the daily sweep and every enabled schedule');

    return {
      apiUrl: api.url,
      s3Endpoint: s3.endpoint,
      dynamoDbEndpoint: dynamodb.endpoint,
      stepFunctionsEndpoint: stepFunctions.endpoint,
      bucket: LOCAL_BUCKET,
      principal,
      recovered,
      sweep,
      actAs: (next) => {
        role = next;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function ensureTable(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new CreateTableCommand(createTableInput(TABLE_NAME)));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  } finally {
    client.destroy();
  }
}
