import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-vitest/extend';
import { describe, expect, it } from 'vitest';
import { parseSmokeOptions } from '../../../scripts/smoke/options.ts';
import { ARGS, NOW, cfn, cw, givenPerTest } from './smokeFixtures.ts';

const start = givenPerTest();

/** ARGS without one `--name value` pair. */
const without = (name: string) => {
  const at = ARGS.indexOf(`--${name}`);
  return [...ARGS.slice(0, at), ...ARGS.slice(at + 2)];
};

const noFile = async (path: string): Promise<string> => {
  throw new Error(`ENOENT: ${path}`);
};

describe('npm run smoke:aws refuses to start, exit 2, touching nothing', () => {
  it.each(['host', 'database', 'username', 'engine'])('without --%s, naming it', async (name) => {
    const { run, fake, err, out } = await start();
    expect(await run([], { base: without(name) })).toBe(2);
    expect(err[0]).toMatch(new RegExp(`^smoke:aws: missing --${name} \\(`));
    expect(err[0]).toContain('usage: npm run smoke:aws');
    expect(out).toEqual([]);
    expect(fake.calls).toEqual([]);
    expect(cfn).not.toHaveReceivedCommand(DescribeStacksCommand);
  });

  it('without KEEPSAKE_DB_PASSWORD, naming it; a password on the command line is refused outright', async () => {
    const { run, fake, err } = await start();
    expect(await run([], { env: {} })).toBe(2);
    expect(err.at(-1)).toMatch(/^smoke:aws: missing KEEPSAKE_DB_PASSWORD: /);
    expect(await run(['--password', 'hunter2'])).toBe(2);
    expect(err.at(-1)).toMatch(
      /^smoke:aws: the password is read from KEEPSAKE_DB_PASSWORD only, never from the command line/,
    );
    expect(err.join('\n')).not.toContain('hunter2');
    expect(fake.calls).toEqual([]);
    expect(cfn).not.toHaveReceivedCommand(DescribeStacksCommand);
  });

  it('with an engine, port, timeout, scratch database or CA file that cannot work, naming the argument', async () => {
    const { run, err } = await start();
    const cases: [string[], RegExp][] = [
      [['--engine', 'postgres'], /^smoke:aws: --engine: must be mysql or mariadb/],
      [['--port', 'abc'], /^smoke:aws: --port must be a whole number, not "abc"/],
      [['--port', '70000'], /^smoke:aws: --port: port must be between 1 and 65535/],
      [['--host', 'db; rm -rf /'], /^smoke:aws: --host: host must be a hostname or IP address/],
      [['--timeout', '0'], /^smoke:aws: --timeout must be minutes between 0 and 180/],
      [['--scratch-database', 'shop'], /^smoke:aws: --scratch-database must differ from --database/],
      [['--ca-file', '/nowhere.pem'], /^smoke:aws: --ca-file \/nowhere.pem cannot be read: ENOENT/],
      [['--tls-mode', 'sometimes'], /^smoke:aws: --tls-mode must be one of/],
      [['--api', 'not a url'], /^smoke:aws: --api must be the API's URL/],
      [['backup'], /^smoke:aws: Unexpected argument 'backup'/],
    ];
    for (const [extra, message] of cases) {
      err.length = 0;
      expect(await run(extra), extra.join(' ')).toBe(2);
      expect(err[0], extra.join(' ')).toMatch(message);
    }
  });

  it('without AWS credentials, saying how to provide them', async () => {
    const { run, fake, err, out } = await start();
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const code = await run([], {
      deps: {
        credentials: async () => {
          throw missing;
        },
      },
    });
    expect(code).toBe(2);
    const message = err.join('\n');
    expect(message).toMatch(/^smoke:aws: no AWS credentials found \(Could not load credentials from any providers\)/);
    expect(message).toContain('AWS_PROFILE');
    expect(message).toContain('AWS_ACCESS_KEY_ID');
    expect(message).toContain('aws sso login');
    expect(out).toEqual([]);
    expect(fake.calls).toEqual([]);
    expect(cfn).not.toHaveReceivedCommand(DescribeStacksCommand);
    expect(cw).not.toHaveReceivedCommand(SetAlarmStateCommand);
  });
});

describe('parseSmokeOptions', () => {
  it('fills the defaults: stack Keepsake, port 3306, TLS required, a timestamped scratch database, 20 minutes', async () => {
    const options = await parseSmokeOptions(ARGS, { KEEPSAKE_DB_PASSWORD: 'pw' }, NOW, noFile);
    expect(options).toEqual({
      stack: 'Keepsake',
      region: 'eu-west-1',
      source: {
        name: 'keepsake-smoke-20261207_191128',
        engine: 'mysql',
        host: 'db.example.internal',
        port: 3306,
        database: 'shop',
        username: 'backup',
        tls: { mode: 'required' },
        password: 'pw',
        enabled: true,
      },
      scratchDatabase: 'keepsake_smoke_20261207_191128',
      timeoutMs: 20 * 60_000,
      keep: false,
    });
  });

  it('takes --tls-mode over the CA file’s default and --scratch-database as given', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n';
    const options = await parseSmokeOptions(
      [...ARGS, '--ca-file', 'ca.pem', '--tls-mode', 'verify-ca', '--scratch-database', 'restore_check'],
      { KEEPSAKE_DB_PASSWORD: 'pw' },
      NOW,
      async () => pem,
    );
    expect(options.source.tls).toEqual({ mode: 'verify-ca', caPem: pem });
    expect(options.scratchDatabase).toBe('restore_check');
  });

  it('refuses a CA file that holds no certificate', async () => {
    await expect(
      parseSmokeOptions([...ARGS, '--ca-file', 'ca.pem'], { KEEPSAKE_DB_PASSWORD: 'pw' }, NOW, async () => 'not a pem'),
    ).rejects.toThrow('--ca-file ca.pem holds no PEM certificate');
  });
});
