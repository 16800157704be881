import type { StatesError } from '../../types/orchestration.ts';

/** The parts of an ECS task description (the Cause of a failed `ecs:runTask.sync`) a reason is made of. */
interface EcsTaskCause {
  readonly taskArn?: string;
  readonly stoppedReason?: string;
  readonly stopCode?: string;
  readonly containers: readonly { readonly exitCode?: number; readonly reason?: string }[];
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Step Functions hands on ECS's description with PascalCase keys; the SDK and docs use camelCase. Accept both. */
const field = (obj: Record<string, unknown>, name: string): unknown =>
  obj[name] ?? obj[name.charAt(0).toUpperCase() + name.slice(1)];
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** The ECS task in a failed run step's Cause, if that is what it holds. */
export function ecsTaskOf(error: StatesError): EcsTaskCause | undefined {
  const cause = parseJson(error.Cause);
  if (!cause) return undefined;
  const containers = field(cause, 'containers');
  const taskArn = text(field(cause, 'taskArn'));
  if (!Array.isArray(containers) && !taskArn) return undefined;
  return {
    taskArn,
    stoppedReason: text(field(cause, 'stoppedReason')),
    stopCode: text(field(cause, 'stopCode')),
    containers: (Array.isArray(containers) ? containers : []).map((c: Record<string, unknown>) => ({
      exitCode: typeof field(c, 'exitCode') === 'number' ? (field(c, 'exitCode') as number) : undefined,
      reason: text(field(c, 'reason')),
    })),
  };
}

/** ECS says this whenever the runner simply exited: the exit code and the runner's own words say more. */
const ORDINARY_STOP = 'Essential container in task exited';

function describeTask(task: EcsTaskCause): string {
  const parts: string[] = [];
  const exitCode = task.containers.find((c) => c.exitCode !== undefined)?.exitCode;
  if (exitCode !== undefined) parts.push(`the runner exited with code ${exitCode}`);
  const containerReason = task.containers.find((c) => c.reason)?.reason;
  if (containerReason) parts.push(containerReason);
  if (task.stoppedReason && task.stoppedReason !== ORDINARY_STOP) parts.push(`task stopped: ${task.stoppedReason}`);
  if (parts.length === 0) parts.push(`the runner task stopped${task.stopCode ? ` (${task.stopCode})` : ''}`);
  return parts.join('; ');
}

/** A Lambda error's Cause is `{errorType, errorMessage, trace}` in AWS and the bare message locally. */
function lambdaMessage(error: StatesError): string {
  const cause = parseJson(error.Cause);
  return text(cause?.errorMessage) ?? error.Cause ?? error.Error;
}

/** The failed step, as a reason names it: what was being done, and whether it was the runner task. */
export interface FailedStep {
  readonly doing: string;
  readonly runner: boolean;
}

/** The Backup machine's steps. */
export const BACKUP_STEPS = {
  begin: { doing: 'starting the backup', runner: false },
  run: { doing: 'running the backup', runner: true },
  finalize: { doing: 'recording the backup', runner: false },
} as const satisfies Record<string, FailedStep>;

/**
 * One readable sentence for why a step failed: from the ECS task (exit code, stopped reason) and the runner's
 * last error lines for a runner step, from the Lambda's error otherwise. Timeouts and heartbeats say so.
 */
export function failureReason(step: FailedStep, error: StatesError, runnerErrors: readonly string[] = []): string {
  let reason: string;
  if (error.Error === 'States.Timeout') reason = `${step.doing} took longer than its time limit and was stopped`;
  else if (error.Error === 'States.HeartbeatTimeout') reason = `${step.doing} stopped reporting (heartbeat lost)`;
  else if (step.runner) {
    const task = ecsTaskOf(error);
    reason = task ? describeTask(task) : `${step.doing} failed: ${error.Cause ?? error.Error}`;
  } else reason = lambdaMessage(error);
  const lines = runnerErrors.filter((line) => !reason.includes(line));
  return lines.length > 0 ? `${reason}: ${lines.join(' | ')}` : reason;
}
