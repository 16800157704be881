import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../../scripts/local/stepFunctionsService.ts';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Echo';
const definition = {
  StartAt: 'Work',
  States: {
    Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work', End: true },
  },
};

/** Local mode's Step Functions endpoint, spoken to with the real SDK client as the API's handlers do. */
describe('local Step Functions service', () => {
  let service: LocalStepFunctions;
  let sfn: SFNClient;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    service = await startLocalStepFunctions({
      machines: [{ arn: ARN, definition }],
      taskHandlers: {
        Work: async (input: { wait?: boolean; fail?: boolean }) => {
          if (input.wait) await new Promise<void>((resolve) => (release = resolve));
          if (input.fail) throw Object.assign(new Error('it broke'), { name: 'Broken' });
          return { echoed: input };
        },
      },
    });
    sfn = new SFNClient({
      endpoint: service.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
  });
  afterAll(() => service.close());

  it('starts an execution under its name and describes how it ended', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'ok-1', input: '{"n":1}' }),
    );
    expect(executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:Echo:ok-1');
    await service.settled(executionArn ?? '');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      name: 'ok-1',
      output: JSON.stringify({ echoed: { n: 1 } }),
    });
  });

  it('reports a failed execution with the error and cause of its task', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'fails', input: '{"fail":true}' }),
    );
    await service.settled(executionArn ?? '');
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'FAILED',
      error: 'Broken',
      cause: 'it broke',
    });
  });

  it('stops a running execution', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'waits', input: '{"wait":true}' }),
    );
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'by a test' }));
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'ABORTED',
      error: 'Cancelled',
      cause: 'by a test',
    });
    release();
  });

  it('answers with the service errors the SDK knows', async () => {
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'ok-1', input: '{}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${ARN}-nope`, input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(sfn.send(new StopExecutionCommand({ executionArn: `${ARN}:none` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'bad-input', input: 'not json' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
  });
});
