/**
 * The ARN of execution `name` of a standard state machine: Step Functions derives it from the machine's ARN,
 * so the API can stop an execution it started under the backup's id without storing the ARN.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[2] !== 'states' || parts[5] !== 'stateMachine')
    throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

/** `Name: message` of an SDK error, for a 502 that names what failed (SDK errors carry no secrets). */
export function describeAwsError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
