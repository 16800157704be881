import type { Template } from 'aws-cdk-lib/assertions';
import { MACHINE_ARNS, PSEUDO_PARAMETERS, type MachineName } from './stateMachines.ts';

/**
 * Enough of IAM's policy evaluation to answer "may this principal call this action on this resource" from a
 * synthesized resource policy (an SNS topic's, a KMS key's): explicit Deny wins, then an Allow must match principal,
 * action, resource and every condition. Hand-written because no maintained evaluator runs offline on a CDK template;
 * it knows the condition operators Keepsake's policies use and refuses to guess at others.
 */

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | { readonly Service?: unknown; readonly AWS?: unknown };
  readonly Action: unknown;
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface Request {
  /** A service principal (`cloudwatch.amazonaws.com`) or an IAM principal ARN. */
  readonly principal: { readonly service: string } | { readonly arn: string };
  readonly action: string;
  readonly resource: string;
  /** Global condition keys as the service would send them (`aws:SecureTransport`, `aws:SourceArn`…). */
  readonly context: Readonly<Record<string, string>>;
}

const LOCAL_PSEUDO: Record<string, string> = { ...PSEUDO_PARAMETERS, 'AWS::StackName': 'Keepsake' };

/** A CloudFormation value as the string it becomes in `LOCAL_PSEUDO`'s account: resources are `<LogicalId>`. */
export function resolveValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return LOCAL_PSEUDO[v.Ref] ?? `<${v.Ref}>`;
  if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveValue).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a policy`);
}

const list = (value: unknown): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(resolveValue);
const wildcard = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) =>
        part
          .split('?')
          .map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
          .join('.'),
      )
      .join('.*')}$`,
    's',
  ).test(value);

function principalMatches(statement: PolicyStatement, principal: Request['principal']): boolean {
  if (statement.Principal === '*') return true;
  if (!statement.Principal) return false;
  if ('service' in principal) return list(statement.Principal.Service).includes(principal.service);
  const account = principal.arn.split(':')[4];
  return list(statement.Principal.AWS).some(
    (p) => p === '*' || p === principal.arn || p === `arn:aws:iam::${account}:root`,
  );
}

const OPERATORS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringLike: wildcard,
  ArnEquals: (e, a) => e === a,
  ArnLike: wildcard,
  Bool: (e, a) => e.toLowerCase() === a.toLowerCase(),
};

function conditionsHold(statement: PolicyStatement, context: Request['context']): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => {
    const test = OPERATORS[operator];
    if (!test) throw new Error(`condition operator ${operator} is not understood by the local policy check`);
    // A key the request does not carry fails the condition (no IfExists operators are used here).
    return Object.entries(keys).every(
      ([key, expected]) => context[key] !== undefined && list(expected).some((e) => test(e, context[key] ?? '')),
    );
  });
}

function matches(statement: PolicyStatement, request: Request): boolean {
  return (
    principalMatches(statement, request.principal) &&
    list(statement.Action).some((a) => wildcard(a.toLowerCase(), request.action.toLowerCase())) &&
    (statement.Resource === undefined || list(statement.Resource).some((r) => wildcard(r, request.resource))) &&
    conditionsHold(statement, request.context)
  );
}

/** Whether the resource policy alone lets the request through (what a service principal needs). */
export function resourcePolicyAllows(statements: readonly PolicyStatement[], request: Request): boolean {
  return (
    !resourcePolicyDenies(statements, request) && statements.some((s) => s.Effect === 'Allow' && matches(s, request))
  );
}

/** Whether an explicit Deny in the resource policy refuses the request (it then fails whatever else allows it). */
export function resourcePolicyDenies(statements: readonly PolicyStatement[], request: Request): boolean {
  return statements.some((s) => s.Effect === 'Deny' && matches(s, request));
}

type TemplateResources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/**
 * Whether the role of the state machine `machineId` may publish to the template's alerts topic as SNS decides it
 * for a same-account role: its own policies must allow sns:Publish on the topic, and the topic's policy must not
 * deny it (the call is made over TLS).
 */
export function machineMayPublish(resources: TemplateResources, machineId: string): boolean {
  const topics = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::SNS::Topic');
  if (topics.length !== 1) throw new Error(`expected one SNS topic in the template, found ${topics.length}`);
  const topicId = topics[0]!;
  const roleId = (resources[machineId]?.Properties?.RoleArn as { 'Fn::GetAtt'?: string[] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  if (!roleId) throw new Error(`state machine ${machineId} names no role of the template`);
  const request: Request = {
    principal: { arn: `arn:aws:iam::${LOCAL_PSEUDO['AWS::AccountId']}:role/${roleId}` },
    action: 'sns:Publish',
    resource: `<${topicId}>`,
    context: { 'aws:SecureTransport': 'true' },
  };
  const topicPolicy = Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::SNS::TopicPolicy' &&
        (r.Properties?.Topics as { Ref?: string }[]).some((t) => t.Ref === topicId),
    )
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
  if (resourcePolicyDenies(topicPolicy, request)) return false;
  const identityStatements = Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties?.Roles as { Ref?: string }[] | undefined)?.some((role) => role.Ref === roleId),
    )
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
  // An identity policy has no Principal: it speaks for the role it is attached to.
  return (
    identityStatements.some((s) => s.Effect === 'Allow' && matches({ ...s, Principal: '*' }, request)) &&
    !identityStatements.some((s) => s.Effect === 'Deny' && matches({ ...s, Principal: '*' }, request))
  );
}

/** The machines whose role may publish to the alerts topic, as SNS would decide it (scripts/local/resourcePolicy.ts). */
export function machinesThatMayPublish(template: Template): MachineName[] {
  const resources = template.toJSON().Resources as Parameters<typeof machineMayPublish>[0];
  return (Object.keys(MACHINE_ARNS) as MachineName[]).filter((name) => {
    const id = Object.keys(resources).find(
      (logicalId) =>
        resources[logicalId]!.Type === 'AWS::StepFunctions::StateMachine' &&
        logicalId.startsWith(`Orchestration${name}`),
    );
    return id !== undefined && machineMayPublish(resources, id);
  });
}
