import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/local/processes.ts';

const CLI = fileURLToPath(new URL('../../../scripts/cli/keepsake.mjs', import.meta.url));
const NOTICE = /NodeVersionSupportWarning|will require node >=22/;

/** Runs `keepsake` as a person would, without the SDK switch in their environment. */
async function keepsake(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _set, ...inherited } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe("the AWS SDK's Node-version notice stays out of the CLI's output", () => {
  it('is absent when the credential chain makes an SDK client (web identity through STS)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keepsake-cli-notice-'));
    const token = join(dir, 'token');
    await writeFile(token, 'not-a-real-token');
    const result = await keepsake(['--api', 'https://abc123.execute-api.us-east-1.amazonaws.com/prod', 'list'], {
      AWS_WEB_IDENTITY_TOKEN_FILE: token,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/keepsake-reader',
      AWS_REGION: 'us-east-1',
      // Nothing listens there: STS fails at once, after its client (and the SDK's version check) was made.
      AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${await freePort()}`,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^keepsake: .*ECONNREFUSED/m);
    expect(result.stderr).not.toMatch(NOTICE);
  });

  it('is absent from --help', async () => {
    const result = await keepsake(['--help']);
    expect(`${result.stdout}${result.stderr}`).toMatch(/usage: keepsake/);
    expect(result.stderr).not.toMatch(NOTICE);
  });
});
