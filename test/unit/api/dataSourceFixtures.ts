import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { eventBridgeScheduleRemover } from '../../../functions/dataSources/scheduleRemover.ts';
import type {
  ConnectionTester,
  DatabaseInspector,
  DataSourceDeps,
} from '../../../functions/dataSources/dataSourceService.ts';
import type { DataSourceRecord } from '../../../functions/shared/repositories/dataSources.ts';
import { dataSourceItem } from '../../../functions/shared/repositories/dataSources.ts';
import { secretsManagerStore } from '../../../functions/shared/secretStore.ts';
import type { CreateDataSource } from '../../../types/dataSource.ts';

export const TABLE = 'keepsake-unit';
export const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:keepsake/data-source/src-1-AbCdEf';
export const PASSWORD = 'pa$$ "w0rd" \\ with; $(id)';
export const PRINCIPAL = 'arn:aws:iam::123456789012:user/alice';
export const NOW = new Date('2026-03-01T12:00:00.000Z');

/** AWS clients whose `send` is stubbed: every command the service sends is recorded and answered by the test. */
export const ddb = mockClient(DynamoDBDocumentClient);
export const secretsManager = mockClient(SecretsManagerClient);
export const scheduler = mockClient(SchedulerClient);

export function resetMocks(): void {
  ddb.reset();
  secretsManager.reset();
  scheduler.reset();
}

export function restoreMocks(): void {
  ddb.restore();
  secretsManager.restore();
  scheduler.restore();
}

export const stubTester: ConnectionTester = {
  test: async () => ({ ok: true, serverVersion: '10.11.6-MariaDB', tls: 'verified', durationMs: 5 }),
};
export const stubInspector: DatabaseInspector = {
  inspect: async (_connection, _password, database) => ({ database, exists: false }),
};

/** Service dependencies over the stubbed clients: a fixed clock and id. */
export function deps(overrides: Partial<DataSourceDeps> = {}): DataSourceDeps {
  return {
    table: { client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: TABLE },
    secrets: secretsManagerStore(new SecretsManagerClient({ region: 'us-east-1' }), { kmsKeyId: KMS_KEY }),
    scheduler: eventBridgeScheduleRemover(new SchedulerClient({ region: 'us-east-1' }), 'keepsake'),
    tester: stubTester,
    inspector: stubInspector,
    now: () => NOW,
    newId: () => 'src-1',
    ...overrides,
  };
}

export const createBody: CreateDataSource = {
  name: 'Shop production',
  engine: 'mysql',
  host: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com',
  port: 3306,
  database: 'shop',
  username: 'backup',
  tls: { mode: 'required' },
  password: PASSWORD,
  enabled: true,
};

const { password: _password, ...connectionFields } = createBody;

/** `createBody` as stored: no password, a reference to its secret instead. */
export const storedRecord: DataSourceRecord = {
  id: 'src-1',
  ...connectionFields,
  createdAt: '2026-02-01T00:00:00.000Z',
  updatedAt: '2026-02-02T00:00:00.000Z',
  passwordSecretArn: SECRET_ARN,
};

/** The item as it sits in the table, keys included. */
export const storedItem = (record: DataSourceRecord = storedRecord) => dataSourceItem(record);

/** The error a rejected promise carries (fails the test if it resolves). */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { statusCode?: number; fields?: Record<string, string> }> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the promise to reject');
  return outcome;
}
