/**
 * `npm run cost`: Keepsake's monthly AWS bill, itemized from the synthesized template (what is deployed, how
 * it is sized) and public us-east-1 list prices. Two views: idle (deployed, no backup running) and one nightly
 * 1 GB backup (30 runs a month). Prices change; the constants below say which ones were used.
 */
import { keepsakeTemplate } from './local/stack.ts';

const PRICE = {
  kmsKeyMonth: 1.0,
  alarmMetricMonth: 0.1,
  customMetricMonth: 0.3,
  secretMonth: 0.4,
  fargateArmVcpuHour: 0.03238,
  fargateArmGbHour: 0.00356,
  publicIpv4Hour: 0.005,
  sfnTransition: 0.025 / 1000,
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  s3StandardGbMonth: 0.023,
  s3PutPer1000: 0.005,
  dynamoWritePerMillion: 0.625,
  dynamoGbMonth: 0.25,
  logsIngestGb: 0.5,
} as const;

/** Measured on this project's bench: ~2:1 compression of SQL at level 1, ~18 s per GB of SQL on 2 vCPU. */
const BACKUP = {
  sqlGb: 1,
  compressedGb: 0.5,
  minutes: 3,
  runsPerMonth: 30,
  lambdaInvocations: 4,
  transitions: 10,
  dynamoWrites: 12,
} as const;

interface Line {
  readonly item: string;
  readonly basis: string;
  readonly usd: number;
}

function lines(): { idle: Line[]; nightly: Line[]; storage: Line[] } {
  const t = keepsakeTemplate();
  const count = (type: string) => Object.keys(t.findResources(type)).length;
  const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
  const alarmMetrics = alarms.reduce(
    (n, a) =>
      n + ((a.Properties.Metrics as { MetricStat?: unknown }[] | undefined)?.filter((m) => m.MetricStat).length ?? 1),
    0,
  );
  const customMetrics = new Set(
    alarms
      .map((a) => a.Properties.Namespace as string | undefined)
      .filter((ns) => ns !== undefined && !ns.startsWith('AWS/')),
  ).size;
  const hourlyChecks = 24 * 30;
  const task = Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0]?.Properties as {
    Cpu: string;
    Memory: string;
  };
  const vcpu = Number(task.Cpu) / 1024;
  const memoryGb = Number(task.Memory) / 1024;
  const fns = Object.values(t.findResources('AWS::Lambda::Function')).map(
    (f) => Number(f.Properties.MemorySize ?? 128) / 1024,
  );
  const avgFnGb = fns.reduce((a, b) => a + b, 0) / Math.max(1, fns.length);
  const hours = (BACKUP.minutes / 60) * BACKUP.runsPerMonth;

  const idle: Line[] = [
    {
      item: `CloudWatch alarms (${alarms.length}, ${alarmMetrics} metrics)`,
      basis: `$${PRICE.alarmMetricMonth}/metric`,
      usd: alarmMetrics * PRICE.alarmMetricMonth,
    },
    {
      item: `Custom metrics (${customMetrics}: StaleSources)`,
      basis: `$${PRICE.customMetricMonth}/metric`,
      usd: customMetrics * PRICE.customMetricMonth,
    },
    {
      item: 'Hourly freshness check (Lambda, ARM64)',
      basis: `${hourlyChecks} calls × ~0.2 s`,
      usd: hourlyChecks * (PRICE.lambdaRequest + 0.2 * 0.25 * PRICE.lambdaArmGbSecond),
    },
    { item: `NAT gateways (${count('AWS::EC2::NatGateway')})`, basis: 'public subnets only', usd: 0 },
    // Essentials plan: the first 10,000 monthly active users are free; identity pools and the hosted UI cost nothing.
    {
      item: `Cognito user pool (${count('AWS::Cognito::UserPool')}, Essentials) and identity pool`,
      basis: '< 10,000 active users: free',
      usd: 0,
    },
    // A ~1 MB build in S3 and CloudFront's always-free tier (1 TB out, 10 M requests a month).
    {
      item: `Console: CloudFront (${count('AWS::CloudFront::Distribution')}) and its S3 bucket`,
      basis: '~1 MB, within the free tier',
      usd: 0,
    },
    {
      item: `VPC, ECS, Step Functions (${count('AWS::StepFunctions::StateMachine')}), Lambda (${fns.length}), Scheduler`,
      basis: 'pay per use: nothing runs',
      usd: 0,
    },
  ];
  const nightly: Line[] = [
    {
      item: `Fargate ARM64 ${vcpu} vCPU / ${memoryGb} GB`,
      basis: `${hours.toFixed(1)} h`,
      usd: hours * (vcpu * PRICE.fargateArmVcpuHour + memoryGb * PRICE.fargateArmGbHour),
    },
    { item: 'Public IPv4 for the task', basis: `${hours.toFixed(1)} h`, usd: hours * PRICE.publicIpv4Hour },
    {
      item: 'Step Functions transitions',
      basis: `${BACKUP.transitions * BACKUP.runsPerMonth}`,
      usd: BACKUP.transitions * BACKUP.runsPerMonth * PRICE.sfnTransition,
    },
    {
      item: 'Lambda (ARM64)',
      basis: `${BACKUP.lambdaInvocations * BACKUP.runsPerMonth} calls × ~0.3 s`,
      usd:
        BACKUP.lambdaInvocations *
        BACKUP.runsPerMonth *
        (PRICE.lambdaRequest + 0.3 * avgFnGb * PRICE.lambdaArmGbSecond),
    },
    {
      item: 'S3 multipart PUTs (5 MiB parts)',
      basis: `${Math.ceil((BACKUP.compressedGb * 1024) / 5) * BACKUP.runsPerMonth} requests`,
      usd: (Math.ceil((BACKUP.compressedGb * 1024) / 5) * BACKUP.runsPerMonth * PRICE.s3PutPer1000) / 1000,
    },
    {
      item: 'DynamoDB on-demand writes',
      basis: `${BACKUP.dynamoWrites * BACKUP.runsPerMonth}`,
      usd: (BACKUP.dynamoWrites * BACKUP.runsPerMonth * PRICE.dynamoWritePerMillion) / 1_000_000,
    },
    {
      item: 'CloudWatch Logs ingestion',
      basis: '~0.1 MB per run',
      usd: 0.0001 * BACKUP.runsPerMonth * PRICE.logsIngestGb,
    },
  ];
  const retainedGb = BACKUP.compressedGb * (7 + 4 + 6);
  const storage: Line[] = [
    {
      item: `KMS customer key (${count('AWS::KMS::Key')})`,
      basis: 'encrypts backups, table, topic',
      usd: count('AWS::KMS::Key') * PRICE.kmsKeyMonth,
    },
    {
      item: 'S3 Standard, GFS 7/4/6 of 0.5 GB backups',
      basis: `${retainedGb} GB`,
      usd: retainedGb * PRICE.s3StandardGbMonth,
    },
    { item: 'Secrets Manager', basis: 'per data source', usd: PRICE.secretMonth },
    { item: 'DynamoDB storage', basis: '< 1 GB of records', usd: 0.25 * 0.01 },
  ];
  return { idle, nightly, storage };
}

const money = (usd: number) => `$${usd.toFixed(2)}`;
function table(title: string, rows: Line[]): string {
  const total = rows.reduce((sum, r) => sum + r.usd, 0);
  return [
    `${title}: ${money(total)}/month`,
    ...rows.map((r) => `  ${r.item.padEnd(70)} ${r.basis.padEnd(32)} ${money(r.usd)}`),
  ].join('\n');
}

const { idle, nightly, storage } = lines();
console.log(table('Idle (deployed, nothing running; storage below)', idle));
console.log(table('One nightly 1 GB backup (30 runs)', nightly));
console.log(table('Storage and per-source (KMS key, retained backups, one source)', storage));
