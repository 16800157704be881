import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { ConnectionTestResultSchema } from '../../types/apiDataSources.ts';
import { apiClient, type ApiClient } from '../../types/apiClient.ts';
import { BackupSchema } from '../../types/backup.ts';
import { TriggerBackupResponseSchema, VerifyBackupResponseSchema } from '../../types/backupApi.ts';
import { DataSourceSchema, type DataSource } from '../../types/dataSource.ts';
import { CreateRestoreResponseSchema, RestoreSchema } from '../../types/restore.ts';
import { describeFailure } from '../cli/keepsake.ts';
import { regionOf, sigV4Signer } from '../cli/sigv4.ts';
import { call, send, waitFor, type Polling } from './keepsakeApi.ts';
import { parseSmokeOptions, UsageError, USAGE, type SmokeOptions } from './options.ts';
import { StepReport } from './report.ts';
import { fireStackTestAlarm, readStackOutputs } from './stack.ts';

/** What the smoke test talks to and how it waits; tests replace the clock, the sleeps and the credentials. */
export interface SmokeDeps {
  readonly credentials: AwsCredentialIdentityProvider;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => Date;
  /** Milliseconds for step timings and deadlines. */
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly pollIntervalMs: number;
  /** How long the test alarm stays in ALARM before it is set back to OK. */
  readonly alarmHoldMs: number;
  readonly readFile: (path: string) => Promise<string>;
}

export const defaultDeps = (): SmokeDeps => ({
  credentials: defaultProvider(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
  clock: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  pollIntervalMs: 5000,
  alarmHoldMs: 5000,
  readFile: (path) => readFile(path, 'utf8'),
});

const CREDENTIALS_HELP = `Provide credentials as for the AWS CLI: run \`aws configure\` (or \`aws sso login --profile NAME\`) and set AWS_PROFILE=NAME,
or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or run where an instance or task role applies.
Check them with \`aws sts get-caller-identity\`.`;

/** The region in an execute-api URL, if it is one (a custom domain does not say). */
function apiRegion(api: string): string | undefined {
  try {
    return regionOf(new URL(api), {});
  } catch {
    return undefined;
  }
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

const size = (bytes: number | undefined) =>
  bytes === undefined ? 'size unknown' : `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/**
 * `npm run smoke:aws`: checks a freshly deployed Keepsake end to end with the operator's own credentials and
 * database. Exit codes: 0 every step passed, 1 a step failed, 2 the command line is wrong or no AWS credentials
 * or region could be found (nothing was created then).
 */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  deps: SmokeDeps = defaultDeps(),
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    deps.out(USAGE);
    return 0;
  }
  let options: SmokeOptions;
  try {
    options = await parseSmokeOptions(argv, env, deps.now(), deps.readFile);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.err(`smoke:aws: ${error.message}\n${USAGE}`);
    return 2;
  }

  try {
    await deps.credentials();
  } catch (error) {
    deps.err(`smoke:aws: no AWS credentials found (${(error as Error).message.split('\n')[0]}).\n${CREDENTIALS_HELP}`);
    return 2;
  }

  // The region: --region, else the execute-api host of --api, else what the SDK finds (AWS_REGION, the profile).
  const hinted = options.region ?? (options.api && apiRegion(options.api));
  const cfn = new CloudFormationClient({ credentials: deps.credentials, ...(hinted && { region: hinted }) });
  let region: string;
  try {
    region = await cfn.config.region();
  } catch {
    deps.err('smoke:aws: no AWS region: give --region, or set AWS_REGION (or a region in your AWS profile)');
    return 2;
  }
  const cw = new CloudWatchClient({ credentials: deps.credentials, region });
  return runSmoke(options, { ...deps, cfn, cw, region });
}

/** The steps, in order; each one that needs an earlier one's result is skipped, with the reason, when it failed. */
export async function runSmoke(
  options: SmokeOptions,
  deps: SmokeDeps & { readonly cfn: CloudFormationClient; readonly cw: CloudWatchClient; readonly region: string },
): Promise<number> {
  let baseUrl = options.api ?? `stack ${options.stack}`;
  const report = new StepReport(deps.out, deps.clock, (error) => describeFailure(error, baseUrl, false));
  const polling: Polling = {
    intervalMs: deps.pollIntervalMs,
    timeoutMs: options.timeoutMs,
    sleep: deps.sleep,
    now: deps.clock,
  };

  const found = await report.step(
    'find the API',
    async () => options.api ?? (await readStackOutputs(deps.cfn, options.stack)).ApiUrl,
    (url) => `${url}${options.api ? ' (--api)' : ` (ApiUrl of stack ${options.stack} in ${deps.region})`}`,
  );
  let api: ApiClient | undefined;
  if (found.ok) {
    baseUrl = found.value;
    api = apiClient(
      found.value,
      sigV4Signer(found.value, { credentials: deps.credentials, env: { AWS_REGION: deps.region } }),
    );
  }

  const made: Made = api ? await apiSteps(report, api, options, polling) : {};
  if (!api) for (const step of API_STEPS) report.skip(step, 'no API to call');

  await report.step(
    'fire test alarm',
    () => fireStackTestAlarm({ cfn: deps.cfn, cw: deps.cw }, options.stack, deps.alarmHoldMs, deps.sleep),
    (name) => `${name} set to ALARM and back to OK: the alerts address should get an e-mail within minutes`,
  );

  await cleanUp(report, options, api, made, polling);
  return report.finish();
}

const API_STEPS = ['create data source', 'test connection', 'back up', 'verify', 'restore'] as const;

/** What this run created, for the cleanup: known as soon as the API answers, whatever happens after. */
interface Made {
  source?: DataSource;
  backupId?: string;
}

/** The steps through the API: create, test, back up, then verify and restore that backup. */
async function apiSteps(report: StepReport, api: ApiClient, options: SmokeOptions, polling: Polling): Promise<Made> {
  const made: Made = {};
  const skipRest = (from: (typeof API_STEPS)[number], reason: string) => {
    for (const step of API_STEPS.slice(API_STEPS.indexOf(from))) report.skip(step, reason);
  };
  const created = await report.step(
    'create data source',
    () => call(api, 'createDataSource', { body: options.source }, DataSourceSchema),
    (s) => `${s.name} (${s.id}) → ${s.engine}://${s.host}:${s.port}/${s.database}`,
  );
  if (!created.ok) {
    skipRest('test connection', 'no data source was created');
    return made;
  }
  const source = (made.source = created.value);

  const tested = await report.step(
    'test connection',
    async () => {
      const result = await call(api, 'testDataSource', { params: { id: source.id } }, ConnectionTestResultSchema);
      if (!result.ok) throw new Error(`the API could not connect: ${result.error}`);
      return result;
    },
    (r) => (r.ok ? `server ${r.serverVersion}` : undefined),
  );
  if (!tested.ok) {
    skipRest('back up', 'the connection test did not pass');
    return made;
  }

  const readBackup = (id: string) => () => call(api, 'getBackup', { params: { id } }, BackupSchema);
  const backedUp = await report.step(
    'back up',
    async () => {
      const { backupId } = await call(
        api,
        'triggerBackup',
        { params: { id: source.id }, body: { trigger: 'api' } },
        TriggerBackupResponseSchema,
      );
      made.backupId = backupId;
      const backup = await waitFor(
        `backup ${backupId}`,
        readBackup(backupId),
        (b) => FINAL.has(b.status),
        (b) => b.status,
        polling,
      );
      if (backup.status !== 'succeeded')
        throw new Error(`backup ${backupId} ${backup.status}${backup.error ? `: ${backup.error}` : ''}`);
      return backup;
    },
    (b) =>
      `backup ${b.id}, ${b.tables ?? '?'} tables, ${size(b.compressedBytes)} compressed, sha256 ${b.sha256?.slice(0, 12) ?? '?'}…`,
  );
  if (!backedUp.ok) {
    skipRest('verify', 'the backup did not succeed');
    return made;
  }
  const backup = backedUp.value;

  await report.step(
    'verify',
    async () => {
      await call(api, 'verifyBackup', { params: { id: backup.id } }, VerifyBackupResponseSchema);
      // Done when a verification newer than the one the backup carried (none, usually) is recorded.
      const checked = await waitFor(
        `verification of backup ${backup.id}`,
        readBackup(backup.id),
        (b) => b.verification !== undefined && b.verification.at !== backup.verification?.at,
        (b) => (b.verification ? `at its earlier result (${b.verification.status})` : 'unverified'),
        polling,
      );
      if (checked.verification?.status !== 'verified')
        throw new Error(
          `backup ${backup.id} failed verification: ${checked.verification?.reason ?? 'no reason given'}`,
        );
      return checked;
    },
    () => 'SHA-256 and gzip stream checked',
  );

  const target = options.scratchDatabase;
  const restored = await report.step(
    'restore',
    async () => {
      const body = { backupId: backup.id, targetSourceId: source.id, targetDatabase: target, confirmDatabase: target };
      const { restoreId } = await call(api, 'createRestore', { body }, CreateRestoreResponseSchema);
      const read = () => call(api, 'getRestore', { params: { id: restoreId } }, RestoreSchema);
      const restore = await waitFor(
        `restore ${restoreId}`,
        read,
        (r) => FINAL.has(r.status),
        (r) => r.status,
        polling,
      );
      if (restore.status !== 'succeeded')
        throw new Error(`restore ${restoreId} ${restore.status}${restore.error ? `: ${restore.error}` : ''}`);
      return restore;
    },
    (r) => `restore ${r.id} into ${target}`,
  );
  // The API restores but never drops a database: that stays the operator's call.
  if (restored.ok)
    report.note(
      `the scratch database ${target} stays on ${options.source.host}: drop it when done (DROP DATABASE \`${target}\`)`,
    );
  return made;
}

/** Trashes the backup and deletes the data source this run created, unless `--keep`; a backup still running is cancelled first. */
async function cleanUp(
  report: StepReport,
  options: SmokeOptions,
  api: ApiClient | undefined,
  made: Made,
  polling: Polling,
): Promise<void> {
  const { source, backupId } = made;
  if (!api || !source) return;
  if (options.keep) {
    report.skip(
      'clean up',
      `--keep: data source ${source.id}${backupId ? ` and backup ${backupId}` : ''} left in place`,
    );
    return;
  }
  if (backupId) {
    const id = backupId;
    await report.step(
      'trash backup',
      async () => {
        const current = await call(api, 'getBackup', { params: { id } }, BackupSchema);
        if (!FINAL.has(current.status)) {
          await call(api, 'cancelBackup', { params: { id } }, BackupSchema);
          await waitFor(
            `cancelled backup ${id}`,
            () => call(api, 'getBackup', { params: { id } }, BackupSchema),
            (b) => FINAL.has(b.status),
            (b) => b.status,
            { ...polling, timeoutMs: 120_000 },
          );
        }
        return call(api, 'trashBackup', { params: { id } }, BackupSchema);
      },
      (b) => `backup ${b.id} is in the trash (deleted for good after the grace period)`,
    );
  }
  await report.step(
    'delete data source',
    // force: the trashed backup still belongs to the source until the sweeper deletes it.
    () => send(api, 'deleteDataSource', { params: { id: source.id }, query: { force: 'true' } }),
    () => `${source.name} (${source.id})`,
  );
}
