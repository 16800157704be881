import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { getRestoreRecord, newRestorePut } from '../../functions/shared/repositories/restores.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import { transactNamedItems } from '../../functions/shared/repositories/transactions.ts';
import { loadLocalStepFunctions } from '../../scripts/local/aslRuntime.ts';
import type { Notification, TaskHandlers } from '../../scripts/local/orchestration.ts';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../scripts/local/stepFunctionsService.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { Restore } from '../../types/restore.ts';
import { call, useTestTable } from './api.ts';
import { bucket } from './runner.ts';
import { connectionTo, services } from './services.ts';
import { runnerTaskDefinition } from '../../scripts/local/fargateTask.ts';
import { machinesThatMayPublish } from '../../scripts/local/resourcePolicy.ts';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';
import { MACHINE_ARNS, synthesizedMachines, type MachineName } from '../../scripts/local/stateMachines.ts';

export type MachineOutcome = { ok: true; output: unknown } | { ok: false; error: Error };

export interface LocalMachines {
  readonly table: TableRef;
  /** The same machines behind a local Step Functions endpoint: the API's handlers start executions there. */
  readonly stepFunctions: LocalStepFunctions;
  /** Every notification the machines published, in order. */
  readonly notifications: Notification[];
  /** Verify executions the Backup and Sweeper machines started, with how each ended. */
  readonly startedVerifications: readonly {
    readonly input: Record<string, unknown>;
    readonly outcome: MachineOutcome;
  }[];
  /** Runs the synthesized machine whose logical id starts with `Orchestration{machine}` as execution `name`. */
  run(machine: MachineName, input: Record<string, unknown>, name: string): Promise<MachineOutcome>;
  /** Creates a data source on the test MariaDB through the API handler (its password goes to the secret store). */
  createSource(name: string, database: string, password: string, extra?: Record<string, unknown>): Promise<DataSource>;
}

/**
 * The Backup, Restore, Verify and Sweeper machines as synthesized, run by aws-local-stepfunctions: their Lambda tasks are
 * the real handlers on a fresh DynamoDB Local table, their ECS tasks the real runner (a child process) against
 * the test MariaDB and s3rver, their SNS publishes collected. Sets the handlers' environment, then imports them.
 * `s3Endpoint` puts something (a recording proxy) between everything and s3rver.
 */
export async function startLocalMachines(options: { readonly s3Endpoint?: string } = {}): Promise<LocalMachines> {
  const table = await useTestTable();
  const template = keepsakeTemplate();
  const definitions = synthesizedMachines(template);
  // Filled once the handlers are imported; the service reads it per task.
  const overrides: TaskHandlers = {};
  // The runner registry exists only once the handlers are imported; the service asks it at stop time.
  const stopRunners = { current: (_executionArn: string): void => undefined };
  const stepFunctions = await startLocalStepFunctions({
    onStop: (executionArn) => stopRunners.current(executionArn),
    machines: (['Backup', 'Restore', 'Verify'] as const).map((name) => ({
      arn: MACHINE_ARNS[name],
      definition: definitions[name],
    })),
    taskHandlers: overrides,
  });
  Object.assign(process.env, {
    BACKUP_BUCKET_NAME: bucket(),
    KEEPSAKE_S3_ENDPOINT: options.s3Endpoint ?? services().s3.endpoint,
    KEEPSAKE_SCHEDULER: 'local',
    RUNNER_LOG_DIR: await mkdtemp(join(tmpdir(), 'keepsake-runner-logs-')),
    KEEPSAKE_SFN_ENDPOINT: stepFunctions.endpoint,
    BACKUP_STATE_MACHINE_ARN: MACHINE_ARNS.Backup,
    RESTORE_STATE_MACHINE_ARN: MACHINE_ARNS.Restore,
    VERIFY_STATE_MACHINE_ARN: MACHINE_ARNS.Verify,
  });
  // Imported once the environment is set: handlers and the SDK clients they share read it at load.
  // The secret store first: each handler takes its store once, at load.
  const secrets = (await import('../../scripts/local/secretStores.ts')).useMemorySecretStore();
  const [local, create] = await Promise.all([
    import('../../scripts/local/orchestration.ts'),
    import('../../functions/dataSources/createDataSource.ts'),
  ]);
  const notifications: Notification[] = [];
  const runner = local.localRunner({
    logDir: process.env.RUNNER_LOG_DIR ?? '',
    secrets,
    task: runnerTaskDefinition(template),
  });
  stopRunners.current = runner.stop;
  /** Verify executions other machines started (in AWS they run on their own; here each is run and awaited). */
  const started: { input: Record<string, unknown>; outcome: MachineOutcome }[] = [];
  const startVerify = async (parameters: { Input: Record<string, unknown> }) => {
    const name = `verify-${started.length + 1}`;
    started.push({ input: parameters.Input, outcome: await runMachine('Verify', parameters.Input, name) });
    return { ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:Verify:${name}` };
  };
  Object.assign(
    overrides,
    await local.localTaskHandlers({
      runner,
      publish: local.localPublish((n) => notifications.push(n), machinesThatMayPublish(template)),
      startVerify,
    }),
  );

  const { StateMachine } = await loadLocalStepFunctions();
  const machines = new Map<MachineName, InstanceType<typeof StateMachine>>();
  const machineFor = (name: MachineName) => {
    let machine = machines.get(name);
    if (!machine) {
      machine = new StateMachine(definitions[name] as never, {
        validationOptions: { checkArn: false, checkPaths: false },
      });
      machines.set(name, machine);
    }
    return machine;
  };

  async function runMachine(
    machine: Parameters<LocalMachines['run']>[0],
    input: Record<string, unknown>,
    name: string,
  ): Promise<MachineOutcome> {
    const execution = machineFor(machine).run(input as never, {
      overrides: { taskResourceLocalHandlers: overrides as never },
      context: {
        Execution: { Name: name, Id: `arn:aws:states:us-east-1:123456789012:execution:${machine}:${name}` },
      } as never,
    });
    try {
      return { ok: true, output: await execution.result };
    } catch (error) {
      // aws-local-stepfunctions wraps the Fail state's error (Error = name, Cause = message) in an ExecutionError.
      return { ok: false, error: ((error as Error).cause as Error | undefined) ?? (error as Error) };
    }
  }

  return {
    table,
    stepFunctions,
    notifications,
    startedVerifications: started,
    run: runMachine,
    async createSource(name, database, password, extra = {}) {
      const created = await call<DataSource>(create.handler, {
        method: 'POST',
        resource: '/v1/data-sources',
        body: { name, ...connectionTo(database), password, ...extra },
      });
      expect(created.status).toBe(201);
      return created.body;
    },
  };
}

/**
 * Queues restore `id` of `backupId` into `targetDatabase` on `source` as the API does (with `fields` such as
 * `rollbackOnFailure`), runs the Restore machine on it, and returns its outcome and the record it left.
 */
export async function runQueuedRestore(
  machines: LocalMachines,
  source: DataSource,
  id: string,
  backupId: string,
  targetDatabase: string,
  fields: Partial<Restore> = {},
): Promise<{ outcome: MachineOutcome; record: Restore }> {
  const record: Restore = {
    ...fields,
    id,
    backupId,
    sourceId: source.id,
    targetSourceId: source.id,
    targetDatabase,
    status: 'queued',
    requestedBy: 'test',
    createdAt: new Date().toISOString(),
  };
  await transactNamedItems(machines.table, { restore: newRestorePut(machines.table, record) });
  const outcome = await machines.run(
    'Restore',
    { restoreId: id, backupId, targetSourceId: source.id, targetDatabase },
    id,
  );
  const after = await getRestoreRecord(machines.table, id);
  if (!after) throw new Error(`restore ${id} vanished`);
  return { outcome, record: after };
}
