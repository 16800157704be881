import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { secretsClient } from './clients.ts';

/**
 * Where data-source passwords live: one secret per source, referred to by the reference `put` returns (the
 * secret's ARN in AWS). Values are opaque strings here; callers choose the format (see `passwordSecret`).
 * Implementations never log or echo a value.
 */
export interface SecretStore {
  /** Creates the secret `name` holding `value`; returns its reference. Fails if the name is taken. */
  put(name: string, value: string): Promise<string>;
  get(ref: string): Promise<string>;
  /** Replaces the value (a new current version in Secrets Manager). */
  update(ref: string, value: string): Promise<void>;
  /**
   * Schedules deletion with a 7-day recovery window; `withoutRecovery` deletes at once (undoing a secret that
   * was never referenced by anything).
   */
  delete(ref: string, options?: { withoutRecovery?: boolean }): Promise<void>;
}

/** Secrets Manager, each secret encrypted with `kmsKeyId` when given (else the account's `aws/secretsmanager`). */
export function secretsManagerStore(client: SecretsManagerClient, options: { kmsKeyId?: string } = {}): SecretStore {
  return {
    async put(name, value) {
      const out = await client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: value,
          Description: 'Keepsake data source password',
          ...(options.kmsKeyId && { KmsKeyId: options.kmsKeyId }),
        }),
      );
      if (!out.ARN) throw new Error(`Secrets Manager returned no ARN for ${name}`);
      return out.ARN;
    },
    async get(ref) {
      const out = await client.send(new GetSecretValueCommand({ SecretId: ref }));
      if (out.SecretString === undefined) throw new Error('the secret has no string value');
      return out.SecretString;
    },
    async update(ref, value) {
      await client.send(new PutSecretValueCommand({ SecretId: ref, SecretString: value }));
    },
    async delete(ref, deleteOptions = {}) {
      await client.send(
        new DeleteSecretCommand(
          deleteOptions.withoutRecovery
            ? { SecretId: ref, ForceDeleteWithoutRecovery: true }
            : { SecretId: ref, ForceDeleteWithoutRecovery: false, RecoveryWindowInDays: 7 },
        ),
      );
    },
  };
}

/**
 * Local mode's or a test's store, in place of Secrets Manager (see `replaceSecretStore`). The stores themselves live
 * in scripts/local/secretStores.ts, so that no Lambda bundle carries them.
 */
let replacement: SecretStore | undefined;

/**
 * Local mode and tests: every handler of this process keeps its secrets in `store`. Call it before the handlers
 * are imported: each takes its store once, at load.
 */
export function replaceSecretStore(store: SecretStore): void {
  replacement = store;
}

/**
 * The store the handlers use: Secrets Manager, each secret encrypted with `SECRETS_KMS_KEY_ID` when set, unless
 * local mode or a test replaced it.
 */
export function secretStoreFromEnv(env: NodeJS.ProcessEnv = process.env): SecretStore {
  return replacement ?? secretsManagerStore(secretsClient, { kmsKeyId: env.SECRETS_KMS_KEY_ID });
}

/** The secret's value for a data-source password: JSON, read back by the runner with `jsonKey: 'password'`. */
export function passwordSecret(password: string): string {
  return JSON.stringify({ password });
}

/** The password inside a value written by `passwordSecret`; the error never quotes the value. */
export function passwordFromSecret(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('the stored secret is not JSON');
  }
  const password = (parsed as Record<string, unknown> | null)?.password;
  if (typeof password !== 'string' || password.length === 0)
    throw new Error('the stored secret has no "password" field');
  return password;
}
