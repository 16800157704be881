import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepsake, startFakeApi, type FakeApi } from './fakeApi.ts';

const COMMANDS = ['sources', 'list', 'show', 'backup', 'restores', 'restore', 'rollback', 'verify', 'download'];

let api: FakeApi;
beforeAll(async () => (api = await startFakeApi()));
afterAll(() => api.close());

describe('keepsake help', () => {
  it.each([['--help'], ['-h'], ['help']])(
    '%s lists every command on stdout and exits 0, asking nothing of the API',
    async (flag) => {
      const result = await keepsake(api, [flag]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^usage: keepsake/);
      for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      expect(result.stdout).toContain('exit codes: 0 done; 1 the operation failed');
      expect(result.stdout).toContain('keepsake list --source demo --status failed');
      expect(api.requests).toEqual([]);
    },
  );

  it.each(COMMANDS)('%s: "help %s" and "%s --help" show its usage, options and examples', async (command) => {
    const viaHelp = await keepsake(api, ['help', command]);
    const viaFlag = await keepsake(api, [command, '--help']);
    expect(viaHelp.code, viaHelp.stderr).toBe(0);
    expect(viaFlag).toEqual(viaHelp);
    expect(viaHelp.stdout).toMatch(new RegExp(`^usage: keepsake ${command}`));
    expect(viaHelp.stdout).toMatch(new RegExp(`examples:\\n  keepsake ${command}`));
    expect(viaHelp.stdout).toContain('--json');
  });

  it('help for restore names its options with what they do', async () => {
    const { stdout } = await keepsake(api, ['help', 'restore']);
    expect(stdout).toMatch(/--to S\/DB +the target/);
    expect(stdout).toMatch(/-y, --yes +replace an existing database without asking/);
    expect(stdout).toMatch(/--rollback-on-failure +if the restore fails part-way/);
  });

  it('help for a command that does not exist is a bad command line (exit 2)', async () => {
    const result = await keepsake(api, ['help', 'bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "bogus"');
    expect(result.stdout).toBe('');
  });

  it('no command at all prints the help on stderr and exits 2', async () => {
    const result = await keepsake(api, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^usage: keepsake/);
    expect(result.stdout).toBe('');
  });
});
