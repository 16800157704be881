import type { Template } from 'aws-cdk-lib/assertions';
import { keepsakeTemplate } from './stack.ts';

/** An Amazon States Language definition, as far as local mode and the tests look into it. */
export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly Catch?: readonly {
    readonly ErrorEquals: readonly string[];
    readonly Next: string;
    readonly ResultPath?: string;
  }[];
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[] }[];
  readonly Parameters?: Record<string, unknown>;
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Default?: string;
  readonly ItemProcessor?: AslDefinition;
  readonly [key: string]: unknown;
}
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

/**
 * Renders a CloudFormation value to a string: `Fn::Join` is joined and every other intrinsic (Ref, GetAtt…)
 * goes through `token`, so callers choose what an ARN or name stands for (a placeholder, a local endpoint).
 */
function render(value: unknown, token: (intrinsic: Record<string, unknown>) => string): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((part) => render(part, token)).join(separator);
  }
  return token(value as Record<string, unknown>);
}

/** Local values for CloudFormation's pseudo parameters (local mode's account is not an AWS one). */
export const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * A readable stand-in for an intrinsic: pseudo parameters get test values, `Ref` → `<LogicalId>`,
 * `Fn::GetAtt` → `<LogicalId.Attr>`.
 */
export function placeholder(intrinsic: Record<string, unknown>): string {
  if ('Ref' in intrinsic) return PSEUDO_PARAMETERS[String(intrinsic.Ref)] ?? `<${String(intrinsic.Ref)}>`;
  if ('Fn::GetAtt' in intrinsic) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  return `<${JSON.stringify(intrinsic).replace(/"/g, "'")}>`;
}

/** The definition of the state machine whose logical id starts with `logicalIdPrefix`, tokens rendered by `token`. */
export function stateMachineDefinition(
  template: Template,
  logicalIdPrefix: string,
  token: (intrinsic: Record<string, unknown>) => string = placeholder,
): AslDefinition {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const entry = Object.entries(machines).find(([id]) => id.startsWith(logicalIdPrefix));
  if (!entry)
    throw new Error(`no state machine ${logicalIdPrefix}* in the template (have ${Object.keys(machines).join(', ')})`);
  return JSON.parse(render(entry[1].Properties.DefinitionString, token)) as AslDefinition;
}

/** The ARNs local mode's Step Functions service knows the synthesized machines by (the API's handlers are given them). */
export const MACHINE_ARNS = {
  Backup: 'arn:aws:states:us-east-1:123456789012:stateMachine:Backup',
  Restore: 'arn:aws:states:us-east-1:123456789012:stateMachine:Restore',
  Verify: 'arn:aws:states:us-east-1:123456789012:stateMachine:Verify',
  Sweeper: 'arn:aws:states:us-east-1:123456789012:stateMachine:Sweeper',
} as const;

export type MachineName = keyof typeof MACHINE_ARNS;

/** Every Keepsake state machine as `cdk synth` defines it (logical ids `Orchestration{name}…`), tokens as placeholders. */
export function synthesizedMachines(template: Template = keepsakeTemplate()): Record<MachineName, AslDefinition> {
  const names = Object.keys(MACHINE_ARNS) as MachineName[];
  return Object.fromEntries(
    names.map((name) => [name, stateMachineDefinition(template, `Orchestration${name}`)]),
  ) as Record<MachineName, AslDefinition>;
}
