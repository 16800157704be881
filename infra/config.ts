import * as z from 'zod';
import { fieldErrors } from '../types/zodMessages.ts';
import { DEFAULT_MANUAL_BACKUP_KEEP_DAYS } from '../types/retention.ts';
import { DEFAULT_RETENTION, RetentionSchema } from '../types/schedule.ts';

/** `-c name=value` arrives as a string; `cdk.json` and tests may pass real booleans and numbers. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const count = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`);
const idList = z.union([
  z.array(z.string()),
  z.string().transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
]);

/**
 * What an operator can set at deploy time (`npx cdk deploy -c alarmEmail=ops@example.com …`). Everything is
 * optional: the defaults make a working stack with a new VPC of public subnets and 7/4/6 retention.
 */
export const DeployConfigSchema = z
  .object({
    adminEmail: z.email('adminEmail must be an e-mail address').optional(),
    alarmEmail: z.email('alarmEmail must be an e-mail address').optional(),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]+$/, 'vpcId must look like vpc-0123abcd')
      .optional(),
    subnetIds: idList
      .pipe(
        z
          .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'subnetIds must look like subnet-0123abcd'))
          .min(1, 'subnetIds needs at least one subnet'),
      )
      .optional(),
    securityGroupId: z
      .string()
      .regex(/^sg-[0-9a-f]+$/, 'securityGroupId must look like sg-0123abcd')
      .optional(),
    assignPublicIp: flag.default(true),
    objectLock: flag.default(false),
    objectLockDays: count('objectLockDays')
      .min(1, 'objectLockDays must be at least 1')
      .max(36500, 'objectLockDays must be at most 36500')
      .default(30),
    retentionDaily: count('retentionDaily').default(DEFAULT_RETENTION.daily),
    retentionWeekly: count('retentionWeekly').default(DEFAULT_RETENTION.weekly),
    retentionMonthly: count('retentionMonthly').default(DEFAULT_RETENTION.monthly),
    trashGraceDays: count('trashGraceDays')
      .min(1, 'trashGraceDays must be at least 1')
      .max(365, 'trashGraceDays must be at most 365')
      .default(7),
    manualBackupKeepDays: count('manualBackupKeepDays')
      .min(1, 'manualBackupKeepDays must be at least 1')
      .max(3650, 'manualBackupKeepDays must be at most 3650')
      .default(DEFAULT_MANUAL_BACKUP_KEEP_DAYS),
    runnerCpu: z.coerce
      .number()
      .pipe(
        z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)], {
          error: 'runnerCpu must be 256, 512, 1024, 2048 or 4096',
        }),
      )
      .default(1024),
    runnerMemoryMiB: count('runnerMemoryMiB').min(512).max(30720).default(2048),
  })
  .refine((c) => (c.vpcId === undefined) === (c.subnetIds === undefined), {
    path: ['subnetIds'],
    message: 'vpcId and subnetIds go together: give both or neither',
  })
  .refine((c) => c.securityGroupId === undefined || c.vpcId !== undefined, {
    path: ['securityGroupId'],
    message: 'securityGroupId needs vpcId and subnetIds',
  })
  .refine(
    (c) =>
      RetentionSchema.safeParse({ daily: c.retentionDaily, weekly: c.retentionWeekly, monthly: c.retentionMonthly })
        .success,
    {
      path: ['retentionDaily'],
      message: 'retention counts must be within daily 0-366, weekly 0-520, monthly 0-240',
    },
  );
export type DeployConfig = z.infer<typeof DeployConfigSchema>;

const KEYS = [
  'adminEmail',
  'alarmEmail',
  'vpcId',
  'subnetIds',
  'securityGroupId',
  'assignPublicIp',
  'objectLock',
  'objectLockDays',
  'retentionDaily',
  'retentionWeekly',
  'retentionMonthly',
  'trashGraceDays',
  'manualBackupKeepDays',
  'runnerCpu',
  'runnerMemoryMiB',
] as const;

/** Reads the deploy context; a bad value stops synth with every wrong field named. */
export function deployConfigFrom(tryGetContext: (key: string) => unknown): DeployConfig {
  const raw = Object.fromEntries(KEYS.map((k) => [k, tryGetContext(k)]).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = DeployConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    throw new Error(
      `invalid deploy context: ${Object.entries(fields)
        .map(([f, m]) => `${f}: ${m}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}
