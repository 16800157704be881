import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StateMachine } from 'aws-local-stepfunctions';
import { loadLocalStepFunctions } from './aslRuntime.ts';

export type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly startDate: Date;
  status: Status;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  abort(): void;
  readonly done: Promise<void>;
}

/** A state machine the local service runs: its synthesized definition and the ARN the handlers know it by. */
export interface LocalMachine {
  readonly arn: string;
  readonly definition: object;
}

export interface LocalStepFunctions {
  /** Point the SDK here: `KEEPSAKE_SFN_ENDPOINT`. */
  readonly endpoint: string;
  /** Resolves when the named execution ends (tests, the local runtime's shutdown). */
  settled(executionArn: string): Promise<void>;
  /** RUNNING, SUCCEEDED, FAILED or ABORTED, as DescribeExecution says. */
  status(executionArn: string): Status;
  /** Aborts what still runs (their tasks stopped through `onStop`) and closes the endpoint. */
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const executionArnOf = (stateMachineArn: string, name: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * Step Functions for local mode: an HTTP endpoint speaking the service's JSON protocol (StartExecution,
 * StopExecution, DescribeExecution) that runs the synthesized definitions with aws-local-stepfunctions, the
 * task states mapped to local code by `taskHandlers`. The API's handlers reach it through the same SDK client
 * they use in AWS (`KEEPSAKE_SFN_ENDPOINT`).
 */
export async function startLocalStepFunctions(options: {
  readonly machines: readonly LocalMachine[];
  readonly taskHandlers: Record<string, (input: never) => Promise<unknown>>;
  /** Called when an execution is stopped: its running tasks (the runner child) must stop too. */
  readonly onStop?: (executionArn: string) => void;
  readonly port?: number;
}): Promise<LocalStepFunctions> {
  const { StateMachine: Machine } = await loadLocalStepFunctions();
  const machines = new Map<string, StateMachine>(
    options.machines.map((m) => [
      m.arn,
      new Machine(m.definition as never, { validationOptions: { checkArn: false, checkPaths: false } }),
    ]),
  );
  const executions = new Map<string, Execution>();

  function start(body: { stateMachineArn?: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    const machine = body.stateMachineArn ? machines.get(body.stateMachineArn) : undefined;
    if (!body.stateMachineArn || !machine)
      throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    const name = body.name ?? randomUUID();
    const executionArn = executionArnOf(body.stateMachineArn, name);
    if (executions.has(executionArn))
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    let input: unknown;
    try {
      input = JSON.parse(body.input ?? '{}');
    } catch {
      throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: options.taskHandlers as never },
      context: { Execution: { Name: name, Id: executionArn } } as never,
      noThrowOnAbort: true,
    });
    const execution: Execution = {
      executionArn,
      stateMachineArn: body.stateMachineArn,
      name,
      startDate: new Date(),
      status: 'RUNNING',
      abort: run.abort,
      done: run.result.then(
        (output: unknown) => {
          if (execution.status === 'RUNNING')
            Object.assign(execution, { status: 'SUCCEEDED', output: JSON.stringify(output), stopDate: new Date() });
        },
        (error: Error) => {
          const failure = (error.cause as Error | undefined) ?? error;
          if (execution.status === 'RUNNING')
            Object.assign(execution, {
              status: 'FAILED',
              error: failure.name,
              cause: failure.message,
              stopDate: new Date(),
            });
        },
      ),
    };
    executions.set(executionArn, execution);
    return { executionArn, startDate: execution.startDate.getTime() / 1000 };
  }

  function find(executionArn: string | undefined): Execution {
    const execution = executionArn ? executions.get(executionArn) : undefined;
    if (!execution) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  const operations: Record<string, (body: Record<string, string | undefined>) => unknown> = {
    StartExecution: start,
    StopExecution(body) {
      const execution = find(body.executionArn);
      if (execution.status === 'RUNNING') {
        Object.assign(execution, { status: 'ABORTED', error: body.error, cause: body.cause, stopDate: new Date() });
        execution.abort();
        options.onStop?.(execution.executionArn);
      }
      return { stopDate: (execution.stopDate ?? new Date()).getTime() / 1000 };
    },
    DescribeExecution(body) {
      const e = find(body.executionArn);
      return {
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate.getTime() / 1000,
        ...(e.stopDate && { stopDate: e.stopDate.getTime() / 1000 }),
        ...(e.output !== undefined && { output: e.output }),
        ...(e.error !== undefined && { error: e.error }),
        ...(e.cause !== undefined && { cause: e.cause }),
      };
    },
  };

  const respond = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
      const operation = operations[target];
      try {
        if (!operation)
          throw new ApiError(
            'UnknownOperationException',
            `local Step Functions does not implement ${target || 'this request'}`,
          );
        respond(
          response,
          200,
          operation(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string | undefined>),
        );
      } catch (error) {
        const e = error instanceof ApiError ? error : new ApiError('InternalFailure', (error as Error).message);
        respond(response, e.type === 'InternalFailure' ? 500 : 400, { __type: e.type, message: e.message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    settled: (executionArn) => find(executionArn).done,
    status: (executionArn) => find(executionArn).status,
    async close() {
      for (const execution of executions.values()) {
        if (execution.status !== 'RUNNING') continue;
        execution.abort();
        options.onStop?.(execution.executionArn);
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
