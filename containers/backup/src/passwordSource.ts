import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PasswordRef } from '../../../types/job.ts';
import { RunnerError } from './errors.ts';

/** Resolves a job's password reference. Secrets Manager in AWS; an environment variable locally. */
export async function resolvePassword(ref: PasswordRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.from === 'env') {
    const value = env[ref.name];
    if (!value) throw new RunnerError(`password: environment variable ${ref.name} is not set`);
    return value;
  }
  const client = new SecretsManagerClient({});
  const out = await client.send(new GetSecretValueCommand({ SecretId: ref.secretId })).catch((error: unknown) => {
    throw new RunnerError(`password: cannot read secret ${ref.secretId}: ${(error as Error).name}`);
  });
  return passwordFromSecretString(out.SecretString, ref.jsonKey, ref.secretId);
}

/**
 * The environment for a child process (dump, client, compressor): the runner's own without the variable the
 * password reference names and without any variable whose value holds a secret, so that no child's
 * /proc/<pid>/environ carries the password (in the container it sits in the runner's environment).
 */
export function childEnv(
  ref: PasswordRef | undefined,
  secrets: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (ref?.from === 'env' && name === ref.name) continue;
    if (value !== undefined && secrets.some((secret) => secret.length > 0 && value.includes(secret))) continue;
    out[name] = value;
  }
  return out;
}

/** Accepts either a JSON secret (`{"password": "..."}`, as RDS writes them) or a plain-text one. */
export function passwordFromSecretString(secret: string | undefined, jsonKey: string, secretId: string): string {
  if (!secret) throw new RunnerError(`password: secret ${secretId} has no string value`);
  if (secret.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(secret);
    } catch {
      throw new RunnerError(`password: secret ${secretId} looks like JSON but does not parse`);
    }
    const value = (parsed as Record<string, unknown>)[jsonKey];
    if (typeof value !== 'string' || value.length === 0) {
      throw new RunnerError(`password: secret ${secretId} has no string field "${jsonKey}"`);
    }
    return value;
  }
  return secret;
}
