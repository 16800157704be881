import { parseArgs } from 'node:util';
import {
  CreateDataSourceSchema,
  DatabaseNameSchema,
  TlsSchema,
  type CreateDataSource,
} from '../../types/dataSource.ts';

/** The command line is wrong or incomplete: exit 2 with this message, before anything is called. */
export class UsageError extends Error {}

export const USAGE = `usage: npm run smoke:aws -- --host H --database D --username U --engine mysql|mariadb [options]
  Runs against a deployed Keepsake: creates a data source, tests it, backs it up, verifies and restores the
  backup into a scratch database, fires a test alarm, then removes what it created. Password: KEEPSAKE_DB_PASSWORD.
  --host H              the database server, as the deployed runner reaches it (e.g. an RDS endpoint)
  --port N              default 3306
  --database D          the database to back up
  --username U          a user that can dump D and create the scratch database
  --engine E            mysql or mariadb
  --ca-file FILE        PEM CA bundle for TLS (e.g. the RDS global bundle); TLS mode then defaults to verify-identity
  --tls-mode M          disabled|preferred|required|verify-ca|verify-identity (default required, or as above)
  --scratch-database S  where the restore goes (default keepsake_smoke_<UTC timestamp>; must not exist)
  --stack NAME          the CloudFormation stack (default Keepsake)
  --region R            its region (default: AWS_REGION, the profile's, or the --api host's)
  --api URL             the API URL, instead of the stack's ApiUrl output
  --timeout MIN         how long to wait for each of backup, verification, restore (default 20)
  --keep                leave the data source and the backup in place
  --help                this text
AWS credentials come from the standard chain (AWS_PROFILE, environment, SSO, instance role).`;

/** Everything one run needs, checked. */
export interface SmokeOptions {
  readonly stack: string;
  readonly region?: string;
  readonly api?: string;
  /** The body of "create data source", checked against the API's own schema. */
  readonly source: CreateDataSource;
  readonly scratchDatabase: string;
  readonly timeoutMs: number;
  readonly keep: boolean;
}

/** The argument each field of the create body comes from, so a schema issue names what to fix. */
const ARGUMENT_OF: Record<string, string> = {
  engine: '--engine',
  host: '--host',
  port: '--port',
  database: '--database',
  username: '--username',
  tls: '--ca-file / --tls-mode',
  password: 'KEEPSAKE_DB_PASSWORD',
  name: '(the generated name)',
};

const REQUIRED = [
  ['host', 'the database server the deployed runner can reach'],
  ['database', 'the database to back up'],
  ['username', 'the database user'],
  ['engine', 'mysql or mariadb'],
] as const;

/** `20261207_191128`: a UTC timestamp usable in a database name and a data-source name. */
export const stampOf = (now: Date) => now.toISOString().slice(0, 19).replace(/-|:/g, '').replace('T', '_');

/**
 * Parses and checks the command line and KEEPSAKE_DB_PASSWORD, reading `--ca-file`. Throws UsageError naming the
 * argument at fault; the password is refused on the command line, where `ps` and shell history would show it.
 */
export async function parseSmokeOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  now: Date,
  readFile: (path: string) => Promise<string>,
): Promise<SmokeOptions> {
  if (argv.some((arg) => /^--?(password|pass|p)(=|$)/.test(arg))) {
    throw new UsageError(
      'the password is read from KEEPSAKE_DB_PASSWORD only, never from the command line (ps and shell history show arguments)',
    );
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: 'string', default: 'Keepsake' },
        region: { type: 'string' },
        api: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string', default: '3306' },
        database: { type: 'string' },
        username: { type: 'string' },
        engine: { type: 'string' },
        'ca-file': { type: 'string' },
        'tls-mode': { type: 'string' },
        'scratch-database': { type: 'string' },
        timeout: { type: 'string', default: '20' },
        keep: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);

  for (const [name, what] of REQUIRED) if (!text(name)) throw new UsageError(`missing --${name} (${what})`);
  const password = env.KEEPSAKE_DB_PASSWORD;
  if (!password)
    throw new UsageError(
      "missing KEEPSAKE_DB_PASSWORD: set it to the database user's password (never passed as an argument)",
    );

  const port = Number(text('port'));
  if (!Number.isInteger(port)) throw new UsageError(`--port must be a whole number, not "${text('port')}"`);
  const timeoutMinutes = Number(text('timeout'));
  if (!(timeoutMinutes > 0 && timeoutMinutes <= 180))
    throw new UsageError(`--timeout must be minutes between 0 and 180, not "${text('timeout')}"`);

  const api = text('api');
  if (api !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(api);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol))
      throw new UsageError(`--api must be the API's URL (https://…/prod/), not "${api}"`);
  }

  const caFile = text('ca-file');
  let caPem: string | undefined;
  if (caFile !== undefined) {
    try {
      caPem = await readFile(caFile);
    } catch (error) {
      throw new UsageError(`--ca-file ${caFile} cannot be read: ${(error as Error).message}`);
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
      throw new UsageError(`--ca-file ${caFile} holds no PEM certificate`);
  }
  const tls = TlsSchema.safeParse({
    mode: text('tls-mode') ?? (caPem ? 'verify-identity' : 'required'),
    ...(caPem && { caPem }),
  });
  if (!tls.success)
    throw new UsageError(`--tls-mode must be one of disabled, preferred, required, verify-ca, verify-identity`);

  const stamp = stampOf(now);
  const source = CreateDataSourceSchema.safeParse({
    name: `keepsake-smoke-${stamp}`,
    engine: text('engine'),
    host: text('host'),
    port,
    database: text('database'),
    username: text('username'),
    tls: tls.data,
    password,
    enabled: true,
  });
  if (!source.success) {
    const issue = source.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    throw new UsageError(
      `${ARGUMENT_OF[field] ?? field}: ${field === 'engine' ? 'must be mysql or mariadb' : (issue?.message ?? 'invalid')}`,
    );
  }

  const scratchDatabase = text('scratch-database') ?? `keepsake_smoke_${stamp}`;
  const scratch = DatabaseNameSchema.safeParse(scratchDatabase);
  if (!scratch.success) throw new UsageError(`--scratch-database: ${scratch.error.issues[0]?.message ?? 'invalid'}`);
  if (scratchDatabase === source.data.database)
    throw new UsageError('--scratch-database must differ from --database: the restore would overwrite the source');

  return {
    stack: text('stack') ?? 'Keepsake',
    ...(text('region') && { region: text('region') }),
    ...(api && { api }),
    source: source.data,
    scratchDatabase,
    timeoutMs: timeoutMinutes * 60_000,
    keep: values.keep === true,
  };
}
