import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
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
 * A secret store in this process's memory, for local mode and integration tests (no AWS account there).
 * NOT for production: values are plain text in memory and vanish when the process exits. Local mode will replace
 * it with a store that encrypts at rest; until then a restart of the local API forgets every password.
 */
export function memorySecretStore(): SecretStore {
  const secrets = new Map<string, { readonly name: string; value: string }>();
  /** Names stay taken after a deletion with recovery, as in Secrets Manager. */
  const names = new Set<string>();
  const known = (ref: string) => {
    const secret = secrets.get(ref);
    if (!secret) throw Object.assign(new Error('secret not found'), { name: 'ResourceNotFoundException' });
    return secret;
  };
  return {
    async put(name, value) {
      if (names.has(name)) throw Object.assign(new Error(`a secret named ${name} already exists`), { name: 'ResourceExistsException' });
      // Shaped like a Secrets Manager ARN (name plus a random suffix) so nothing downstream tells them apart.
      const ref = `arn:aws:secretsmanager:local:000000000000:secret:${name}-${randomBytes(3).toString('hex')}`;
      names.add(name);
      secrets.set(ref, { name, value });
      return ref;
    },
    async get(ref) {
      return known(ref).value;
    },
    async update(ref, value) {
      known(ref).value = value;
    },
    async delete(ref, options = {}) {
      const { name } = known(ref);
      secrets.delete(ref);
      if (options.withoutRecovery) names.delete(name);
    },
  };
}

let localStore: SecretStore | undefined;

/**
 * The store the handlers use: `KEEPSAKE_SECRETS=local` selects one in-memory store shared by every handler of
 * this process (local mode, tests); unset or `secretsmanager`, Secrets Manager with `SECRETS_KMS_KEY_ID` when set.
 */
export function secretStoreFromEnv(env: NodeJS.ProcessEnv = process.env): SecretStore {
  const mode = env.KEEPSAKE_SECRETS ?? 'secretsmanager';
  if (mode === 'local') return (localStore ??= memorySecretStore());
  if (mode !== 'secretsmanager') throw new Error(`KEEPSAKE_SECRETS must be "local" or "secretsmanager", got "${mode}"`);
  return secretsManagerStore(secretsClient, { kmsKeyId: env.SECRETS_KMS_KEY_ID });
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
  if (typeof password !== 'string' || password.length === 0) throw new Error('the stored secret has no "password" field');
  return password;
}
