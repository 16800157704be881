import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RunnerError } from '../../../containers/backup/src/errors.ts';
import { passwordFromSecretString, resolvePassword } from '../../../containers/backup/src/passwordSource.ts';
import { PasswordRefSchema, type PasswordRef } from '../../../types/job.ts';

const ref = (input: unknown): PasswordRef => PasswordRefSchema.parse(input);

async function failure(promise: Promise<unknown>): Promise<RunnerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunnerError);
  return error as RunnerError;
}

describe('resolvePassword from the environment', () => {
  it('reads the default variable KEEPSAKE_DB_PASSWORD', async () => {
    expect(await resolvePassword(ref({ from: 'env' }), { KEEPSAKE_DB_PASSWORD: 'pw from env' })).toBe('pw from env');
  });

  it('reads a named variable and returns the value untouched', async () => {
    const value = ` spaced "quoted" \\ back\nline `;
    expect(
      await resolvePassword(ref({ from: 'env', name: 'MY_DB_PW' }), { MY_DB_PW: value, KEEPSAKE_DB_PASSWORD: 'other' }),
    ).toBe(value);
  });

  it('fails with a clear error naming the variable when it is missing or empty', async () => {
    for (const env of [{}, { MY_DB_PW: '' }, { my_db_pw: 'lowercase is another variable' }]) {
      const error = await failure(resolvePassword(ref({ from: 'env', name: 'MY_DB_PW' }), env));
      expect(error.message).toBe('password: environment variable MY_DB_PW is not set');
    }
  });
});

describe('resolvePassword from Secrets Manager', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());
  afterAll(() => secrets.restore());

  it('reads the "password" field of a JSON secret, as RDS writes them', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'prod/db' }).resolves({
      SecretString: JSON.stringify({ engine: 'mysql', host: 'db', username: 'admin', password: 'rds-generated-pw' }),
    });
    expect(await resolvePassword(ref({ from: 'secretsManager', secretId: 'prod/db' }))).toBe('rds-generated-pw');
    expect(secrets).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: 'prod/db' });
  });

  it('reads a custom jsonKey', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ password: 'not this one', dbPassword: 'this one' }) });
    expect(
      await resolvePassword(
        ref({ from: 'secretsManager', secretId: 'arn:aws:secretsmanager:us-east-1:1:secret:x', jsonKey: 'dbPassword' }),
      ),
    ).toBe('this one');
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
    });
  });

  it('returns a plain-text secret as it is', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '  plain text pw with "quotes"  ' });
    expect(await resolvePassword(ref({ from: 'secretsManager', secretId: 'plain' }))).toBe(
      '  plain text pw with "quotes"  ',
    );
  });

  it('fails naming the secret and the field when the JSON has no such string field, without echoing the secret', async () => {
    for (const body of [
      { username: 'admin', pass: 'hunter2-value' },
      { password: 12345678 },
      { password: '' },
      { password: null },
    ]) {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(body) });
      const error = await failure(resolvePassword(ref({ from: 'secretsManager', secretId: 'prod/db' })));
      expect(error.message).toBe('password: secret prod/db has no string field "password"');
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('12345678');
    }
  });

  it('fails when a JSON-looking secret does not parse, without echoing it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"password": "s3cr3t-value"' });
    const error = await failure(resolvePassword(ref({ from: 'secretsManager', secretId: 'broken' })));
    expect(error.message).toContain('secret broken');
    expect(error.message).not.toContain('s3cr3t');
  });

  it('fails when the secret has no string value (binary secret)', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const error = await failure(resolvePassword(ref({ from: 'secretsManager', secretId: 'binary' })));
    expect(error.message).toBe('password: secret binary has no string value');
  });

  it('fails on AccessDenied with an error that names the secret but carries no value from the response', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/runner is not authorized to perform: secretsmanager:GetSecretValue; leaked-detail-XYZ',
      ),
      { name: 'AccessDeniedException', $fault: 'client' },
    );
    secrets.on(GetSecretValueCommand).rejects(denied);
    const error = await failure(resolvePassword(ref({ from: 'secretsManager', secretId: 'prod/db' })));
    expect(error.message).toBe('password: cannot read secret prod/db: AccessDeniedException');
    expect(error.message).not.toContain('leaked-detail-XYZ');
    expect(error.message).not.toContain('123456789012');
  });

  it('fails on a missing secret naming it', async () => {
    secrets.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );
    const error = await failure(resolvePassword(ref({ from: 'secretsManager', secretId: 'gone' })));
    expect(error.message).toBe('password: cannot read secret gone: ResourceNotFoundException');
  });
});

describe('passwordFromSecretString', () => {
  it('accepts JSON with leading whitespace and keeps the field value exact', () => {
    expect(passwordFromSecretString('  \n{"password":" a\\"b\\\\c "}', 'password', 's')).toBe(' a"b\\c ');
  });

  it('treats text that does not start with { as the password itself', () => {
    expect(passwordFromSecretString('p@ss{word}', 'password', 's')).toBe('p@ss{word}');
    expect(passwordFromSecretString('["array"]', 'password', 's')).toBe('["array"]');
  });

  it('rejects an empty or undefined secret string', () => {
    expect(() => passwordFromSecretString('', 'password', 'empty')).toThrow(
      'password: secret empty has no string value',
    );
    expect(() => passwordFromSecretString(undefined, 'password', 'none')).toThrow(
      'password: secret none has no string value',
    );
  });
});
