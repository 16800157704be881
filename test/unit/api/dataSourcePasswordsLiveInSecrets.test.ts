import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createDataSource, updateDataSource } from '../../../functions/dataSources/dataSourceService.ts';
import {
  passwordFromSecret,
  passwordSecret,
  replaceSecretStore,
  secretStoreFromEnv,
  secretsManagerStore,
} from '../../../functions/shared/secretStore.ts';
import { memorySecretStore } from '../../../scripts/local/secretStores.ts';
import {
  KMS_KEY,
  NOW,
  PASSWORD,
  PRINCIPAL,
  SECRET_ARN,
  TABLE,
  createBody,
  ddb,
  deps,
  rejectionOf,
  resetMocks,
  restoreMocks,
  secretsManager,
  storedItem,
  storedRecord,
} from './dataSourceFixtures.ts';
import { cancelledAt, itemAt } from '../../support/transactItems.ts';

type Items = NonNullable<TransactWriteCommandInput['TransactItems']>;

/** The items of the one transaction the service wrote. */
function transactionItems(call = 0): Items {
  const calls = ddb.commandCalls(TransactWriteCommand);
  const input = calls[call]?.args[0].input;
  if (!input?.TransactItems) throw new Error(`no transaction #${call}`);
  return input.TransactItems;
}

beforeEach(resetMocks);
afterAll(restoreMocks);

describe('creating a data source', () => {
  it('writes the password to its own KMS-encrypted secret first, then the source and its audit event in one transaction', async () => {
    secretsManager.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    ddb.on(TransactWriteCommand).resolves({});

    const source = await createDataSource(deps(), createBody, PRINCIPAL);

    expect(secretsManager).toHaveReceivedCommandExactlyOnceWith(CreateSecretCommand, {
      Name: 'keepsake/data-source/src-1',
      SecretString: JSON.stringify({ password: PASSWORD }),
      KmsKeyId: KMS_KEY,
    });
    const [put, audit] = transactionItems();
    expect(put?.Put).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: 'SOURCE#src-1',
        sk: 'SOURCE',
        gsi1pk: 'SOURCES',
        gsi1sk: 'shop production#src-1',
        passwordSecretArn: SECRET_ARN,
        enabled: true,
      },
    });
    expect(put?.Put?.Item).not.toHaveProperty('password');
    expect(audit?.Put?.Item).toMatchObject({
      gsi1pk: 'AUDIT',
      principal: PRINCIPAL,
      action: 'dataSource.create',
      targetType: 'dataSource',
      targetId: 'src-1',
    });
    expect(JSON.stringify(transactionItems())).not.toContain(PASSWORD);

    expect(source).toEqual({
      ...createBody,
      password: undefined,
      id: 'src-1',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    expect(JSON.stringify(source)).not.toContain(PASSWORD);
    expect(JSON.stringify(source)).not.toContain(SECRET_ARN);
  });

  it('deletes the secret again (without a recovery window) when the DynamoDB write fails, and surfaces that failure', async () => {
    secretsManager.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    secretsManager.on(DeleteSecretCommand).resolves({});
    const failure = Object.assign(new Error('Throughput exceeds the current capacity of your table'), {
      name: 'ProvisionedThroughputExceededException',
    });
    ddb.on(TransactWriteCommand).rejects(failure);

    const error = await rejectionOf(createDataSource(deps(), createBody, PRINCIPAL));

    expect(error).toBe(failure);
    expect(secretsManager).toHaveReceivedCommandExactlyOnceWith(DeleteSecretCommand, {
      SecretId: SECRET_ARN,
      ForceDeleteWithoutRecovery: true,
    });
    expect(secretsManager.commandCalls(DeleteSecretCommand)[0]?.args[0].input).not.toHaveProperty(
      'RecoveryWindowInDays',
    );
  });

  it('still surfaces the DynamoDB failure when the undo fails too', async () => {
    secretsManager.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    secretsManager
      .on(DeleteSecretCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    ddb.on(TransactWriteCommand).callsFake(cancelledAt({ pk: /^SOURCE#/, sk: 'SOURCE' }));

    const error = await rejectionOf(createDataSource(deps(), createBody, PRINCIPAL));

    expect(error.statusCode).toBe(409);
    expect(secretsManager).toHaveReceivedCommandTimes(DeleteSecretCommand, 1);
  });

  it('writes nothing to the table when the secret cannot be created, and answers 502 without AWS details', async () => {
    secretsManager
      .on(CreateSecretCommand)
      .rejects(
        Object.assign(new Error(`User is not authorized to access ${SECRET_ARN}`), { name: 'AccessDeniedException' }),
      );

    const error = await rejectionOf(createDataSource(deps(), createBody, PRINCIPAL));

    expect(error.statusCode).toBe(502);
    expect(error.message).toBe('cannot store the password in the secret store (AccessDeniedException)');
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('omits KmsKeyId when no key is configured (the account default key applies)', async () => {
    secretsManager.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    ddb.on(TransactWriteCommand).resolves({});
    await createDataSource(
      deps({ secrets: secretsManagerStore(new SecretsManagerClient({ region: 'us-east-1' })) }),
      createBody,
      PRINCIPAL,
    );
    expect(secretsManager.commandCalls(CreateSecretCommand)[0]?.args[0].input).not.toHaveProperty('KmsKeyId');
  });
});

describe('updating a data source', () => {
  it('keeps the stored password when none is sent: no secret call, the same secret ARN, a conditional replace', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    ddb.on(TransactWriteCommand).resolves({});

    const source = await updateDataSource(deps(), 'src-1', { name: 'Shop (eu)', port: 3307 }, PRINCIPAL);

    expect(secretsManager.calls()).toHaveLength(0);
    const [put, audit] = transactionItems();
    expect(put?.Put).toMatchObject({
      ConditionExpression: 'updatedAt = :seen',
      ExpressionAttributeValues: { ':seen': storedRecord.updatedAt },
      Item: {
        name: 'Shop (eu)',
        port: 3307,
        gsi1sk: 'shop (eu)#src-1',
        passwordSecretArn: SECRET_ARN,
        tls: { mode: 'required' },
        enabled: true,
      },
    });
    expect(audit?.Put?.Item).toMatchObject({
      action: 'dataSource.update',
      principal: PRINCIPAL,
      summary: 'changed name, port',
    });
    expect(source).toMatchObject({
      name: 'Shop (eu)',
      port: 3307,
      updatedAt: NOW.toISOString(),
      createdAt: storedRecord.createdAt,
    });
    expect(source).not.toHaveProperty('passwordSecretArn');
  });

  it('puts a new password into the same secret before writing the item', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    ddb.on(TransactWriteCommand).resolves({});
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: passwordSecret('old password') });
    secretsManager.on(PutSecretValueCommand).resolves({});

    await updateDataSource(deps(), 'src-1', { password: 'new password' }, PRINCIPAL);

    expect(secretsManager).toHaveReceivedCommandExactlyOnceWith(PutSecretValueCommand, {
      SecretId: SECRET_ARN,
      SecretString: passwordSecret('new password'),
    });
    expect(secretsManager).not.toHaveReceivedCommand(CreateSecretCommand);
    expect(JSON.stringify(transactionItems())).not.toContain('new password');
    expect(itemAt(transactionItems(), { pk: /^AUDIT#/ }).Put?.Item).toMatchObject({ summary: 'changed password' });
  });

  it('puts the previous password back when the item changed meanwhile (409)', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    ddb.on(TransactWriteCommand).callsFake(cancelledAt({ pk: /^SOURCE#/, sk: 'SOURCE' }));
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: passwordSecret('old password') });
    secretsManager.on(PutSecretValueCommand).resolves({});

    const error = await rejectionOf(updateDataSource(deps(), 'src-1', { password: 'new password' }, PRINCIPAL));

    expect(error.statusCode).toBe(409);
    expect(error.message).toMatch(/changed or deleted meanwhile/);
    const puts = secretsManager.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input.SecretString);
    expect(puts).toEqual([passwordSecret('new password'), passwordSecret('old password')]);
  });

  it('answers 404 for an unknown id and touches nothing', async () => {
    ddb.on(GetCommand).resolves({});
    const error = await rejectionOf(updateDataSource(deps(), 'nope', { password: 'x' }, PRINCIPAL));
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe('data source nope not found');
    expect(secretsManager.calls()).toHaveLength(0);
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});

describe('the Secrets Manager store', () => {
  it('schedules deletion with a 7-day recovery window unless told to delete at once', async () => {
    secretsManager.on(DeleteSecretCommand).resolves({});
    const store = secretsManagerStore(new SecretsManagerClient({ region: 'us-east-1' }));
    await store.delete(SECRET_ARN);
    await store.delete(SECRET_ARN, { withoutRecovery: true });
    expect(secretsManager.commandCalls(DeleteSecretCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET_ARN, ForceDeleteWithoutRecovery: false, RecoveryWindowInDays: 7 },
      { SecretId: SECRET_ARN, ForceDeleteWithoutRecovery: true },
    ]);
  });
});

describe('the secret store', () => {
  it('reads the password field and names what is wrong without quoting the value', () => {
    expect(() => passwordFromSecret('not json s3cret')).toThrow('the stored secret is not JSON');
    expect(() => passwordFromSecret('{"pw":"s3cret"}')).toThrow('the stored secret has no "password" field');
  });

  // Last: the replacement stays for the rest of the file.
  it('is Secrets Manager with the key of SECRETS_KMS_KEY_ID, unless local mode or a test replaced it', async () => {
    secretsManager.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN });
    await secretStoreFromEnv({ SECRETS_KMS_KEY_ID: KMS_KEY }).put('keepsake/data-source/a', passwordSecret('v'));
    expect(secretsManager).toHaveReceivedCommandWith(CreateSecretCommand, {
      Name: 'keepsake/data-source/a',
      KmsKeyId: KMS_KEY,
    });
    const memory = memorySecretStore();
    replaceSecretStore(memory);
    expect(secretStoreFromEnv({ SECRETS_KMS_KEY_ID: KMS_KEY })).toBe(memory);
  });
});
