import type { Context } from 'aws-lambda';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { recordExecutionTask } from '../../functions/shared/jobLogs.ts';
import { passwordFromSecret, type SecretStore } from '../../functions/shared/secretStore.ts';
import { STATES } from '../../infra/constructs/orchestration/Orchestration.ts';
import { RunnerJobSchema } from '../../types/job.ts';
import { snsMessageProblem, snsSubjectProblem } from '../../types/notification.ts';
import type { MachineName } from './stateMachines.ts';
import { checkRunTaskOverrides } from './ecsRunTask.ts';
import { fargateSandbox, runnerImage, type RunnerTaskDefinition } from './fargateTask.ts';

/**
 * The pieces that let a synthesized state machine run on one machine under `aws-local-stepfunctions`: Lambda
 * tasks call the real handlers in-process, the ECS task runs the real runner as a child process, SNS publishes
 * go to a callback. Tasks are matched by state name (see STATES in infra/constructs/orchestration/).
 */

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const localContext = (name: string) =>
  ({ awsRequestId: randomUUID(), functionName: name, getRemainingTimeInMillis: () => 900_000 }) as unknown as Context;

/** A Lambda task (payloadResponseOnly): the handler's result is the state's result, its error the state's error. */
export const lambdaTask = (name: string, handler: LambdaHandler) => (input: unknown) =>
  handler(input, localContext(name));

/** What `ecs:runTask.sync` returns, shaped like ECS's DescribeTasks entry as Step Functions hands it on. */
export interface LocalEcsTask {
  readonly TaskArn: string;
  readonly LastStatus: 'STOPPED';
  readonly StopCode: 'EssentialContainerExited';
  readonly StoppedReason: string;
  readonly Containers: readonly { readonly Name: string; readonly ExitCode: number | null; readonly Reason?: string }[];
}

/** A failed `.sync` ECS task: `Error` States.TaskFailed, `Cause` the task's JSON, as in AWS. */
class EcsTaskFailed extends Error {
  constructor(task: LocalEcsTask) {
    super(JSON.stringify(task));
    this.name = 'States.TaskFailed';
  }
}

interface RunTaskParameters {
  readonly Overrides?: {
    readonly ContainerOverrides?: readonly {
      readonly Name: string;
      readonly Environment?: readonly { Name: string; Value: string }[];
    }[];
  };
}

export interface LocalRunnerOptions {
  /**
   * Each run's stderr (the runner's JSON log lines) goes to `{logDir}/{taskId}.log`, read back on failure; each
   * execution's tasks are listed under `{logDir}/executions/` so its live log can be found (functions/shared/jobLogs.ts).
   */
  readonly logDir: string;
  /** Where the API stored data-source passwords: the secret reference in the job is resolved here. */
  readonly secrets: SecretStore;
  /** The runner container as the synthesized task definition describes it (user, read-only root, volumes). */
  readonly task: RunnerTaskDefinition;
  /** Where the platform's values (region, the task role's credentials) are taken from; process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * This machine's PostgreSQL client programs, standing in for the image's PostgreSQL 17 client (its
   * KEEPSAKE_PG_CLIENT_DIR names a directory only the image has); the image's value when undefined.
   */
  readonly pgClientDir?: string;
  /** How long a stopped task's runner gets between SIGTERM and SIGKILL: ECS's default stop timeout, 30 s, unless set. */
  readonly stopTimeoutMs?: number;
}

/** What local mode keeps of the runner tasks it started, so that stopping an execution stops its task too. */
export interface LocalRunner {
  /** The `ecs:runTask.sync` task handler. */
  readonly runTask: (parameters: RunTaskParameters) => Promise<LocalEcsTask>;
  /**
   * Stops the runner tasks of an execution, as Step Functions stops a `.sync` task when its execution stops and ECS
   * stops a task: SIGTERM to the runner, SIGKILL if it still runs after the stop timeout.
   */
  stop(executionArn: string): void;
}

/** What ECS gives every task besides its definition: the region and the task role's credentials (local stand-ins). */
function platformEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const region = env.AWS_REGION ?? 'us-east-1';
  const credentials = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'].filter(
    (name) => env[name] !== undefined,
  );
  return {
    AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    ...Object.fromEntries(credentials.map((name) => [name, env[name] ?? ''])),
    // The runner runs on this machine's Node here, not the image's: the SDK's notice for old ones is noise in its log.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true',
  };
}

/**
 * `ecs:runTask.sync` of the runner container, run the way Fargate runs it (scripts/local/fargateTask.ts): overrides
 * ECS would refuse are refused, and the task runs sandboxed with the task definition's user, read-only root and
 * volumes and only the environment it would have in AWS. One difference: there is no Secrets Manager here, so the
 * password is resolved from the local secret store and handed over in the task's environment (never argv).
 * Exit 0 returns the stopped task; anything else fails with the task as Cause.
 */
export function localRunner(options: LocalRunnerOptions): LocalRunner {
  const running = new Map<string, Set<RunningTask>>();
  const stopped = new Set<string>();
  const image = runnerImage();
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  return {
    stop(executionArn) {
      stopped.add(executionArn);
      for (const task of running.get(executionArn) ?? []) void stopTask(task, stopTimeoutMs);
    },
    async runTask(parameters) {
      checkRunTaskOverrides(parameters.Overrides, [options.task.containerName]);
      const override = parameters.Overrides?.ContainerOverrides?.[0];
      const variable = (name: string) => override?.Environment?.find((e) => e.Name === name)?.Value;
      const jobText = variable('KEEPSAKE_JOB');
      if (!override || !jobText) throw new Error('the run task has no KEEPSAKE_JOB container override');
      const job = RunnerJobSchema.parse(JSON.parse(jobText));
      const overrides: Record<string, string> = Object.fromEntries(
        (override.Environment ?? []).map((e) => [e.Name, e.Value]),
      );
      if ('password' in job && job.password.from === 'secretsManager') {
        overrides.KEEPSAKE_DB_PASSWORD = passwordFromSecret(await options.secrets.get(job.password.secretId));
        overrides.KEEPSAKE_JOB = JSON.stringify({ ...job, password: { from: 'env', name: 'KEEPSAKE_DB_PASSWORD' } });
      }
      const taskId = randomUUID().replace(/-/g, '');
      const taskArn = `arn:aws:ecs:local:000000000000:task/keepsake/${taskId}`;
      await mkdir(options.logDir, { recursive: true });
      const log = createWriteStream(join(options.logDir, `${taskId}.log`));
      const executionArn = variable('KEEPSAKE_EXECUTION_ARN');
      if (executionArn) await recordExecutionTask(options.logDir, executionArn, taskId);
      // A stop that came while this task was being prepared found nothing to stop: the task must not start.
      if (executionArn && stopped.has(executionArn))
        throw new Error(`execution ${executionArn} was stopped before its runner task started`);
      const sandbox = fargateSandbox({
        task: options.task,
        image,
        overrides,
        platform: {
          ...platformEnv(options.env ?? process.env),
          ...(options.pgClientDir !== undefined && { KEEPSAKE_PG_CLIENT_DIR: options.pgClientDir }),
        },
        infoFd: 3,
      });
      const child = spawn(sandbox.command, sandbox.args, {
        env: sandbox.env,
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      });
      const sandboxed: RunningTask = { child, runnerPid: sandboxedPid(child).catch(() => undefined) };
      if (executionArn) running.set(executionArn, new Set([...(running.get(executionArn) ?? []), sandboxed]));
      child.stderr?.pipe(log);
      // --die-with-parent does not reach a runner whose uid setpriv changed: a killed bwrap would leave it running on
      // (reparented, it keeps its pid). SIGKILL from the host does reach a namespace's PID 1, and ends the namespace.
      child.once('exit', (_code, signal) => {
        if (signal) void sandboxed.runnerPid.then((pid) => pid !== undefined && killIfRunning(pid, 'SIGKILL'));
      });
      const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve, reject) => {
          child.once('error', (error: NodeJS.ErrnoException) =>
            reject(
              error.code === 'ENOENT'
                ? new Error(
                    'bwrap (Debian package bubblewrap) is needed to run the runner as Fargate does: npm run setup installs it',
                  )
                : error,
            ),
          );
          child.once('close', (c, s) => resolve({ code: c, signal: s }));
        },
      );
      if (executionArn) running.get(executionArn)?.delete(sandboxed);
      await new Promise((resolve) => log.end(resolve));
      const task: LocalEcsTask = {
        TaskArn: taskArn,
        LastStatus: 'STOPPED',
        StopCode: 'EssentialContainerExited',
        StoppedReason: 'Essential container in task exited',
        Containers: [
          {
            Name: override.Name,
            ExitCode: code,
            ...(signal && { Reason: `the runner process was killed (${signal}) before it finished` }),
          },
        ],
      };
      if (code !== 0) throw new EcsTaskFailed(task);
      return task;
    },
  };
}

interface RunningTask {
  /** bwrap: it exits when the runner does. */
  readonly child: ChildProcess;
  /** The runner's host pid, as bwrap reports it; undefined when bwrap failed before starting it. */
  readonly runnerPid: Promise<number | undefined>;
}

/** Reads the `{"child-pid": N}` bwrap writes to fd 3 (`--info-fd 3`) once the sandboxed process exists. */
async function sandboxedPid(child: ChildProcess): Promise<number | undefined> {
  let text = '';
  for await (const chunk of child.stdio[3] as Readable) text += String(chunk);
  const pid = text.trim() ? (JSON.parse(text) as { 'child-pid'?: unknown })['child-pid'] : undefined;
  return typeof pid === 'number' ? pid : undefined;
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * ECS's StopTask: SIGTERM to the container's PID 1 (the runner itself, not bwrap, which would not pass it on), then
 * SIGKILL once the stop timeout has passed (to bwrap; its death SIGKILLs the runner, see runTask).
 */
async function stopTask(task: RunningTask, stopTimeoutMs: number): Promise<void> {
  const deadline = Date.now() + stopTimeoutMs;
  const timer = setTimeout(() => task.child.kill('SIGKILL'), stopTimeoutMs);
  task.child.once('close', () => clearTimeout(timer));
  const pid = await task.runnerPid;
  if (pid === undefined) {
    task.child.kill('SIGTERM');
    return;
  }
  // A runner still starting up has no handler yet, and PID 1 drops a signal it has no handler for: sent then, a
  // cancel would be lost and the backup run on. ECS has the same (short) window; here the stop waits it out.
  while (!exited(task.child) && Date.now() < deadline && !(await catchesSigterm(pid)))
    await new Promise((resolve) => setTimeout(resolve, 50));
  if (exited(task.child)) return;
  // bwrap exits right after it reaps the runner, so a pid that is gone meanwhile means the runner has ended.
  killIfRunning(pid, 'SIGTERM');
}

function killIfRunning(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Whether process `pid` has a SIGTERM handler installed (bit 15 of its caught-signals mask). */
async function catchesSigterm(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return caught !== undefined && (BigInt(`0x${caught}`) & (1n << 14n)) !== 0n;
}

export interface Notification {
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
}

/** What SNS answers a Publish it refuses; Step Functions reports it as `SNS.<name>`. */
class SnsRefused extends Error {
  constructor(name: 'InvalidParameterException' | 'AuthorizationErrorException', message: string) {
    super(message);
    this.name = `SNS.${name}`;
  }
}

/**
 * `sns:publish` as SNS takes it: the notification goes to `deliver` (local mode prints it; tests collect it) only if
 * SNS would accept it from that machine: its role may publish (`publishers`, from the synthesized policies) and the
 * subject and message keep SNS's limits (types/notification.ts).
 */
export const localPublish =
  (deliver: (notification: Notification) => void, publishers: readonly MachineName[]) =>
  (machine: MachineName) =>
  async (parameters: Notification) => {
    if (!publishers.includes(machine))
      throw new SnsRefused(
        'AuthorizationErrorException',
        `the ${machine} machine's role is not authorized to perform SNS:Publish on ${parameters.TopicArn}`,
      );
    const problem =
      (parameters.Subject !== undefined && snsSubjectProblem(parameters.Subject)) ||
      snsMessageProblem(parameters.Message);
    if (problem) throw new SnsRefused('InvalidParameterException', `Invalid parameter: ${problem}`);
    deliver(parameters);
    return { MessageId: randomUUID() };
  };

/** Starts a Verify execution from a task state (`states:startExecution` of the Verify machine). */
export type StartVerify = (parameters: {
  readonly Input: Record<string, unknown>;
}) => Promise<{ readonly ExecutionArn: string }>;

export type TaskHandlers = Record<string, (input: never) => Promise<unknown>>;

/**
 * Every task state of the synthesized machines mapped to local code: Lambda tasks to the real handlers (imported
 * here, so the caller sets their environment first: they read it at load), ECS tasks to the runner, SNS to
 * `publish`, the Verify starts to `startVerify`.
 */
export async function localTaskHandlers(options: {
  readonly runner: LocalRunner;
  readonly publish: ReturnType<typeof localPublish>;
  readonly startVerify: StartVerify;
}): Promise<TaskHandlers> {
  const modules = await Promise.all([
    import('../../functions/orchestration/beginBackup.ts'),
    import('../../functions/orchestration/finalizeBackup.ts'),
    import('../../functions/orchestration/recordBackupFailure.ts'),
    import('../../functions/orchestration/applyRetention.ts'),
    import('../../functions/orchestration/beginRestore.ts'),
    import('../../functions/orchestration/recordSafetyBackup.ts'),
    import('../../functions/orchestration/finalizeRestore.ts'),
    import('../../functions/orchestration/recordRestoreFailure.ts'),
    import('../../functions/orchestration/prepareVerify.ts'),
    import('../../functions/orchestration/recordVerification.ts'),
    import('../../functions/orchestration/listDueVerifications.ts'),
    import('../../functions/orchestration/listSourceIds.ts'),
    import('../../functions/orchestration/purgeTrash.ts'),
  ]);
  const [
    beginBackup,
    finalizeBackup,
    recordBackupFailure,
    applyRetention,
    beginRestore,
    recordSafetyBackup,
    finalizeRestore,
    recordRestoreFailure,
    prepareVerify,
    recordVerification,
    listDueVerifications,
    listSourceIds,
    purgeTrash,
  ] = modules.map((module, i) => lambdaTask(`keepsake-local-${i}`, module.handler as LambdaHandler));
  const { runner, publish, startVerify } = options;
  return {
    [STATES.startVerify]: startVerify,
    [STATES.startDueVerify]: startVerify,
    [STATES.listDueVerifications]: listDueVerifications,
    [STATES.listSources]: listSourceIds,
    [STATES.sweepSource]: applyRetention,
    [STATES.purgeTrash]: purgeTrash,
    [STATES.runTestRestore]: runner.runTask,
    [STATES.begin]: beginBackup,
    [STATES.run]: runner.runTask,
    [STATES.finalize]: finalizeBackup,
    [STATES.recordFailure]: recordBackupFailure,
    [STATES.retention]: applyRetention,
    [STATES.notifyFailure]: publish('Backup'),
    [STATES.notifyRetention]: publish('Backup'),
    [STATES.notifyObjectsMissing]: publish('Backup'),
    [STATES.notifySweepRetention]: publish('Sweeper'),
    [STATES.notifySweepObjectsMissing]: publish('Sweeper'),
    [STATES.beginRestore]: beginRestore,
    [STATES.runSafetyBackup]: runner.runTask,
    [STATES.recordSafetyBackup]: recordSafetyBackup,
    [STATES.runRestore]: runner.runTask,
    [STATES.runAutoRollback]: runner.runTask,
    [STATES.finalizeRestore]: finalizeRestore,
    [STATES.recordRestoreFailure]: recordRestoreFailure,
    [STATES.notifyRestoreFailure]: publish('Restore'),
    [STATES.prepareVerify]: prepareVerify,
    [STATES.runVerify]: runner.runTask,
    [STATES.recordVerified]: recordVerification,
    [STATES.recordVerifyFailure]: recordVerification,
    [STATES.notifyVerifyFailure]: publish('Verify'),
  } as TaskHandlers;
}
