import {
  DescribeStacksCommand,
  paginateListStackResources,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
  type CloudWatchClient,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';

/** The outputs `infra/keepsakeStack.ts` declares; only ApiUrl is required by the smoke test. */
export interface StackOutputs {
  readonly ApiUrl: string;
  readonly [name: string]: string;
}

/** The stack's outputs by key (DescribeStacks); fails naming the stack when it has no ApiUrl. */
export async function readStackOutputs(cfn: CloudFormationClient, stackName: string): Promise<StackOutputs> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks?.[0];
  if (!stack) throw new Error(`stack ${stackName} was not found`);
  const outputs: Record<string, string> = {};
  for (const output of stack.Outputs ?? [])
    if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
  const apiUrl = outputs.ApiUrl;
  if (!apiUrl)
    throw new Error(
      `stack ${stackName} (${stack.StackStatus ?? 'unknown status'}) has no ApiUrl output: is it Keepsake's, fully deployed?`,
    );
  return { ...outputs, ApiUrl: apiUrl };
}

/** One CloudWatch alarm of the stack: its logical id (e.g. `AlertsBackupFailures…`) and its name. */
export interface StackAlarm {
  readonly logicalId: string;
  readonly name: string;
}

/** The stack's CloudWatch alarms, from its resources (every page). */
export async function listStackAlarms(cfn: CloudFormationClient, stackName: string): Promise<StackAlarm[]> {
  const alarms: StackAlarm[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackName })) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (
        resource.ResourceType === 'AWS::CloudWatch::Alarm' &&
        resource.LogicalResourceId &&
        resource.PhysicalResourceId
      ) {
        alarms.push({ logicalId: resource.LogicalResourceId, name: resource.PhysicalResourceId });
      }
    }
  }
  return alarms;
}

/**
 * Which alarm to fire: one that notifies someone (has actions) and is not in ALARM now (that would be a real
 * incident, and setting it again sends nothing), preferring the backup-failure alarm, the one an operator expects.
 */
export function pickTestAlarm(
  alarms: readonly StackAlarm[],
  described: readonly MetricAlarm[],
  stackName: string,
): StackAlarm {
  if (alarms.length === 0) throw new Error(`stack ${stackName} has no CloudWatch alarms`);
  const state = new Map(described.map((a) => [a.AlarmName, a]));
  const usable = alarms.filter((a) => {
    const found = state.get(a.name);
    return found && found.StateValue !== 'ALARM' && (found.AlarmActions?.length ?? 0) > 0;
  });
  const chosen = [...usable].sort((a, b) => rank(a) - rank(b) || a.logicalId.localeCompare(b.logicalId))[0];
  if (!chosen) {
    const why = alarms.map((a) => `${a.name}: ${explain(state.get(a.name))}`).join('; ');
    throw new Error(`no alarm of stack ${stackName} can be fired safely (${why})`);
  }
  return chosen;
}

const rank = (alarm: StackAlarm) => (/BackupFailures/.test(alarm.logicalId) ? 0 : 1);

const explain = (alarm: MetricAlarm | undefined) =>
  !alarm ? 'not found by DescribeAlarms' : alarm.StateValue === 'ALARM' ? 'already in ALARM' : 'has no alarm actions';

/**
 * Sets `alarm` to ALARM, so CloudWatch notifies its actions (the alerts topic e-mails its subscribers), holds it
 * there for `holdMs`, then sets it back to OK (also when the wait fails: the alarm is never left raised).
 */
export async function fireTestAlarm(
  cw: CloudWatchClient,
  alarmName: string,
  holdMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  await cw.send(
    new SetAlarmStateCommand({
      AlarmName: alarmName,
      StateValue: 'ALARM',
      StateReason:
        'Keepsake smoke test (npm run smoke:aws): checking that alarm notifications arrive; it is set back to OK at once.',
    }),
  );
  try {
    await sleep(holdMs);
  } finally {
    await cw.send(
      new SetAlarmStateCommand({
        AlarmName: alarmName,
        StateValue: 'OK',
        StateReason: 'Keepsake smoke test over: reset to OK.',
      }),
    );
  }
}

/** Finds the alarm to fire (see pickTestAlarm) and fires it; answers its name. */
export async function fireStackTestAlarm(
  clients: { readonly cfn: CloudFormationClient; readonly cw: CloudWatchClient },
  stackName: string,
  holdMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<string> {
  const alarms = await listStackAlarms(clients.cfn, stackName);
  // DescribeAlarms takes at most 100 names; Keepsake's stack has a handful.
  const names = alarms.slice(0, 100).map((a) => a.name);
  const described =
    names.length === 0
      ? []
      : ((await clients.cw.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm'] })))
          .MetricAlarms ?? []);
  const alarm = pickTestAlarm(alarms, described, stackName);
  await fireTestAlarm(clients.cw, alarm.name, holdMs, sleep);
  return alarm.name;
}
