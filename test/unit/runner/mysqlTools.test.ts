import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../../containers/backup/src/backup.ts';
import {
  clientLogEvent,
  detectMysqlTools,
  dumpArgs,
  dumpCommand,
  quoteIdentifier,
  withConnectionArgs,
  type ClientFlavor,
  type ConnectionArgs,
  type MysqlTools,
} from '../../../containers/backup/src/engines/mysql/tools.ts';
import { describeExit, run, waitForExit } from '../../../containers/backup/src/processes.ts';
import type { Connection, Tls } from '../../../types/dataSource.ts';
import { BackupJobSchema } from '../../../types/job.ts';

const connection = (tls: Tls = { mode: 'preferred' }, overrides: Partial<Connection> = {}): Connection => ({
  engine: 'mysql',
  host: 'db.example.com',
  port: 3306,
  database: 'shop',
  username: 'backup',
  tls,
  ...overrides,
});

/** Runs `withConnectionArgs` and hands back what the callback saw. */
function argsFor(conn: Connection, password: string, flavor: ClientFlavor): Promise<ConnectionArgs> {
  return withConnectionArgs(conn, password, flavor, async (args) => args);
}

const optionFileOf = (args: ConnectionArgs): string => {
  const first = args.args[0] ?? '';
  expect(first).toMatch(/^--defaults-file=/);
  return first.slice('--defaults-file='.length);
};

/** A parser of option files that ships with the MariaDB/MySQL client on this machine. */
function printDefaultsTool(): string | undefined {
  for (const tool of ['my_print_defaults', 'mariadb-print-defaults']) {
    if (spawnSync(tool, ['--help'], { stdio: 'ignore' }).status === 0) return tool;
  }
  return undefined;
}
const PRINT_DEFAULTS = printDefaultsTool();

/** The options the real client library reads from the file, one `--name=value` per line (values may hold newlines). */
function parsedOptions(file: string): string {
  const result = spawnSync(PRINT_DEFAULTS ?? 'my_print_defaults', [`--defaults-file=${file}`, 'client'], {
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('withConnectionArgs', () => {
  it('writes a 0600 option file inside a private 0700 directory, and removes the directory afterwards', async () => {
    let seenDir = '';
    const result = await withConnectionArgs(connection(), 'pw', 'mysql', async (args) => {
      const file = optionFileOf(args);
      seenDir = dirname(file);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(seenDir)).mode & 0o777).toBe(0o700);
      expect(seenDir.startsWith(tmpdir())).toBe(true);
      return 'callback result';
    });
    expect(result).toBe('callback result');
    await expect(stat(seenDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('removes the directory when the callback fails, and passes the failure on', async () => {
    let seenDir = '';
    const failure = new Error('dump failed');
    await expect(
      withConnectionArgs(connection(), 'pw', 'mariadb', async (args) => {
        seenDir = dirname(optionFileOf(args));
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(stat(seenDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps the password out of the arguments and hands it back for redaction', async () => {
    const password = 'Sup3r-Secret-Pa55';
    const args = await argsFor(connection({ mode: 'verify-identity', caPem: 'PEM' }), password, 'mysql');
    expect(args.password).toBe(password);
    expect(args.args.join('\u0000')).not.toContain(password);
    expect(args.args.some((a) => /^(-p|--password)/.test(a))).toBe(false);
    expect(args.args).toContain('--max-allowed-packet=1073741824');
  });

  it('writes the CA bundle to a 0600 file next to the option file', async () => {
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    await withConnectionArgs(connection({ mode: 'verify-ca', caPem }), 'pw', 'mysql', async (args) => {
      const caArg = args.args.find((a) => a.startsWith('--ssl-ca='));
      expect(caArg).toBeDefined();
      const caFile = caArg?.slice('--ssl-ca='.length) ?? '';
      expect(dirname(caFile)).toBe(dirname(optionFileOf(args)));
      expect(await readFile(caFile, 'utf8')).toBe(caPem);
      expect((await stat(caFile)).mode & 0o777).toBe(0o600);
    });
  });

  describe.skipIf(!PRINT_DEFAULTS)(
    `option file, as parsed by the real client library (${PRINT_DEFAULTS ?? 'not installed'})`,
    () => {
      const passwords = [
        'plain',
        'with"double"quotes',
        "with'single'quotes",
        'back\\slash',
        'ends with backslash\\',
        '\\"escaped-looking\\"',
        '\\n is not a newline',
        'real\nnewline',
        'carriage\rreturn',
        'tab\there',
        '  leading and trailing spaces  ',
        '#hash; semicolon # not a comment',
        '=equals=',
        '"',
        '\\',
        "'",
        '[client]',
        'ünïcödé ✓ 密码',
        '!include /etc/passwd',
        '$HOME `cmd` $(cmd)',
      ];

      it.each(passwords.map((p) => [JSON.stringify(p), p]))(
        'parses the password %s back exactly',
        async (_label, password) => {
          await withConnectionArgs(connection(), password, 'mysql', async (args) => {
            expect(parsedOptions(optionFileOf(args))).toBe(
              `--host=db.example.com\n--port=3306\n--user=backup\n--password=${password}\n--default-character-set=utf8mb4\n`,
            );
          });
        },
      );

      it('parses odd usernames and IPv6 hosts back exactly', async () => {
        const conn = connection(undefined, { username: `we"ird\\us'er #1`, host: '::1', port: 13306 });
        await withConnectionArgs(conn, 'pw', 'mariadb', async (args) => {
          expect(parsedOptions(optionFileOf(args))).toBe(
            `--host=::1\n--port=13306\n--user=we"ird\\us'er #1\n--password=pw\n--default-character-set=utf8mb4\n`,
          );
        });
      });
    },
  );

  describe('TLS flags', () => {
    const modes: Tls['mode'][] = ['disabled', 'preferred', 'required', 'verify-ca', 'verify-identity'];
    const tlsArgs = (args: ConnectionArgs): string[] =>
      args.args.slice(1).filter((a) => a.startsWith('--ssl') || a.startsWith('--skip-ssl'));

    it.each(modes)('maps %s to MySQL --ssl-mode', async (mode) => {
      const expected = `--ssl-mode=${mode.toUpperCase().replace('-', '_')}`;
      expect(tlsArgs(await argsFor(connection({ mode }), 'pw', 'mysql'))).toEqual([expected]);
      const withCa = tlsArgs(await argsFor(connection({ mode, caPem: 'PEM' }), 'pw', 'mysql'));
      expect(withCa[0]).toBe(expected);
      expect(withCa[1]).toMatch(/^--ssl-ca=.*\/ca\.pem$/);
      expect(withCa).toHaveLength(2);
    });

    it('names every MySQL ssl-mode value exactly as the client spells it', async () => {
      const seen = await Promise.all(
        modes.map(async (mode) => tlsArgs(await argsFor(connection({ mode }), 'pw', 'mysql'))[0]),
      );
      expect(seen).toEqual([
        '--ssl-mode=DISABLED',
        '--ssl-mode=PREFERRED',
        '--ssl-mode=REQUIRED',
        '--ssl-mode=VERIFY_CA',
        '--ssl-mode=VERIFY_IDENTITY',
      ]);
    });

    it.each([
      ['disabled', ['--skip-ssl'], ['--skip-ssl']],
      ['preferred', [], ['CA']],
      ['required', ['--ssl'], ['--ssl', 'CA']],
      ['verify-ca', ['--ssl', '--ssl-verify-server-cert'], ['--ssl', 'CA', '--ssl-verify-server-cert']],
      ['verify-identity', ['--ssl', '--ssl-verify-server-cert'], ['--ssl', 'CA', '--ssl-verify-server-cert']],
    ] as const)('maps %s to MariaDB flags', async (mode, without, withCa) => {
      expect(tlsArgs(await argsFor(connection({ mode }), 'pw', 'mariadb'))).toEqual(without);
      const got = tlsArgs(await argsFor(connection({ mode, caPem: 'PEM' }), 'pw', 'mariadb')).map((a) =>
        a.startsWith('--ssl-ca=') ? 'CA' : a,
      );
      expect(got).toEqual(withCa);
    });
  });
});

describe('dumpArgs', () => {
  const conn: ConnectionArgs = { args: ['--defaults-file=/tmp/x/client.cnf', '--ssl-mode=REQUIRED'], password: 'pw' };
  const tools = (flavor: ClientFlavor): MysqlTools => ({
    dumpBin: 'mysqldump',
    clientBin: 'mysql',
    flavor,
    version: 'mysqldump',
    source: 'path',
  });
  const required = ['--single-transaction', '--quick', '--routines', '--triggers', '--events', '--hex-blob'];

  it.each(['mysql', 'mariadb'] as const)(
    'gives a consistent, complete dump for %s, with the connection first and the database last',
    (flavor) => {
      const args = dumpArgs(tools(flavor), conn, 'shop');
      expect(args.slice(0, 2)).toEqual(conn.args);
      for (const flag of required) expect(args).toContain(flag);
      expect(args.slice(-2)).toEqual(['--', 'shop']);
      expect(args.filter((a) => a === '--')).toHaveLength(1);
    },
  );

  it('adds the MySQL-only flags only for the mysql flavor', () => {
    const mysqlOnly = ['--set-gtid-purged=OFF', '--column-statistics=0'];
    const mysql = dumpArgs(tools('mysql'), conn, 'shop');
    const mariadb = dumpArgs(tools('mariadb'), conn, 'shop');
    for (const flag of mysqlOnly) {
      expect(mysql).toContain(flag);
      expect(mysql.indexOf(flag)).toBeLessThan(mysql.indexOf('--'));
      expect(mariadb).not.toContain(flag);
    }
  });

  it('passes a database name that looks like an option after --, as one argument', () => {
    expect(dumpArgs(tools('mysql'), conn, '--all-databases').slice(-2)).toEqual(['--', '--all-databases']);
    expect(dumpArgs(tools('mariadb'), conn, 'my db; drop').slice(-2)).toEqual(['--', 'my db; drop']);
  });
});

describe('dumpCommand', () => {
  const conn: ConnectionArgs = { args: ['--defaults-file=/tmp/x/client.cnf'], password: 'pw' };
  const tools: MysqlTools = {
    dumpBin: '/usr/bin/mysqldump',
    clientBin: '/usr/bin/mysql',
    flavor: 'mysql',
    version: 'mysqldump',
    source: 'path',
  };

  it('runs mysqldump itself when stdbuf is not available', () => {
    expect(dumpCommand(tools, conn, 'shop')).toEqual(['/usr/bin/mysqldump', dumpArgs(tools, conn, 'shop')]);
  });

  it('runs mysqldump under stdbuf with a 1 MiB output buffer when stdbuf works', () => {
    const [bin, args] = dumpCommand({ ...tools, stdbuf: '/usr/bin/stdbuf' }, conn, 'shop');
    expect(bin).toBe('/usr/bin/stdbuf');
    expect(args).toEqual(['--output=1M', '/usr/bin/mysqldump', ...dumpArgs(tools, conn, 'shop')]);
  });
});

describe('describeExit', () => {
  it('names the exit code and the last error line, skipping warnings and blank lines', () => {
    const stderr = [
      'mysqldump: [Warning] Using a password on the command line interface can be insecure.',
      '',
      "mysqldump: Got error: 1045: Access denied for user 'backup'@'10.0.0.1' (using password: YES) when trying to connect",
      '',
    ].join('\n');
    expect(describeExit('mysqldump', { code: 2, signal: null, stderr })).toBe(
      "mysqldump exited with code 2: mysqldump: Got error: 1045: Access denied for user 'backup'@'10.0.0.1' (using password: YES) when trying to connect",
    );
  });

  it('keeps only the last three lines, joined with |', () => {
    const stderr = ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'].join('\n');
    expect(describeExit('mysql', { code: 1, signal: null, stderr })).toBe(
      'mysql exited with code 1: line 3 | line 4 | line 5',
    );
  });

  it('names the signal when the tool was killed', () => {
    expect(describeExit('mysqldump', { code: null, signal: 'SIGKILL', stderr: '' })).toBe(
      'mysqldump was killed by SIGKILL',
    );
    expect(
      describeExit('mysql', { code: null, signal: 'SIGTERM', stderr: 'ERROR 2013 (HY000): Lost connection' }),
    ).toBe('mysql was killed by SIGTERM: ERROR 2013 (HY000): Lost connection');
  });

  it('says only the code when there is nothing on stderr', () => {
    expect(describeExit('mysql', { code: 1, signal: null, stderr: '' })).toBe('mysql exited with code 1');
    expect(describeExit('mysql', { code: 1, signal: null, stderr: 'mysql: [Warning] only a warning' })).toBe(
      'mysql exited with code 1',
    );
  });
});

describe('quoteIdentifier', () => {
  it('wraps names in backticks and doubles backticks inside', () => {
    expect(quoteIdentifier('shop')).toBe('`shop`');
    expect(quoteIdentifier('a`b')).toBe('`a``b`');
    expect(quoteIdentifier('``')).toBe('``````');
    expect(quoteIdentifier('`; DROP DATABASE x; --')).toBe('```; DROP DATABASE x; --`');
    expect(quoteIdentifier('my db-ü')).toBe('`my db-ü`');
  });
});

describe('waitForExit and run', () => {
  it('returns the exit code and the redacted stderr', async () => {
    const child = spawn('sh', ['-c', 'echo "error: bad password hunter2 rejected" >&2; exit 3'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const status = await waitForExit(child, ['hunter2']);
    expect(status).toEqual({ code: 3, signal: null, stderr: 'error: bad password [redacted] rejected' });
  });

  it('keeps only a bounded tail of a long stderr', async () => {
    const child = spawn(process.execPath, ['-e', 'process.stderr.write("x".repeat(200000) + "THE END")'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const status = await waitForExit(child);
    expect(status.code).toBe(0);
    expect(status.stderr.length).toBeLessThanOrEqual(16 * 1024);
    expect(status.stderr.endsWith('THE END')).toBe(true);
  });

  it('never shows part of a secret that the tail cut through', async () => {
    // The secret ends `after` characters before the end of stderr, so that only its last characters fall inside
    // the kept tail, whatever extra room the tail keeps.
    const secret = 'SECRETVALUE0123456789';
    for (const after of [16 * 1024 - 10, 16 * 1024 + 5, 16 * 1024 + 11, 16 * 1024 + 20]) {
      const script = `process.stderr.write("a".repeat(1000) + ${JSON.stringify(secret)} + "b".repeat(${after}))`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      const status = await waitForExit(child, [secret]);
      expect(status.stderr.length).toBeGreaterThan(16 * 1024 - 100);
      expect(status.stderr.length).toBeLessThanOrEqual(16 * 1024);
      for (let n = 4; n < secret.length; n++) {
        expect(status.stderr.includes(secret.slice(-n)), `${after}: last ${n} characters of the secret`).toBe(false);
      }
    }
  });

  it('run returns stdout, and fails with the tool name and its last error line', async () => {
    expect((await run('sh', ['-c', 'cat; echo done'], { timeoutMs: 10_000, input: 'in:' })).stdout).toBe('in:done\n');
    await expect(
      run('/bin/sh', ['-c', 'echo "ERROR 1049 (42000): Unknown database" >&2; exit 1'], { timeoutMs: 10_000 }),
    ).rejects.toThrow('sh exited with code 1: ERROR 1049 (42000): Unknown database');
  });

  it('run survives children that exit without reading their input', async () => {
    // Unhandled, the EPIPE of writing to such a child would be an uncaught exception that kills the runner.
    for (let i = 0; i < 5; i++) {
      expect(await run('true', [], { timeoutMs: 10_000, input: 'x'.repeat(1_000_000) })).toEqual({ stdout: '' });
      expect(await run('sh', ['-c', 'echo fast'], { timeoutMs: 10_000 })).toEqual({ stdout: 'fast\n' });
    }
  });

  it('run reports a timeout as such', async () => {
    await expect(run('sleep', ['5'], { timeoutMs: 200 })).rejects.toThrow('sleep timed out after 0.2 s');
  });

  it('run reports a missing binary', async () => {
    await expect(run('/nonexistent/mysqldump', ['--version'], { timeoutMs: 1000 })).rejects.toThrow(
      /cannot run \/nonexistent\/mysqldump/,
    );
  });
});

describe('detectMysqlTools', () => {
  let dir: string;
  const fake = async (name: string, versionLine: string, where = dir): Promise<string> => {
    const path = join(where, name);
    await writeFile(path, `#!/bin/sh\necho '${versionLine}'\n`);
    await chmod(path, 0o755);
    return path;
  };
  const MYSQL_DUMP = 'mysqldump  Ver 8.4.11 for Linux on aarch64 (MySQL Community Server - GPL)';
  const MARIADB_DUMP = 'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (aarch64)';

  /** A directory like the image's /opt/mysql/bin: MySQL's mysqldump and mysql. */
  const givenMysqlClientDir = async (): Promise<{ bin: string; dump: string; client: string }> => {
    const bin = await mkdtemp(join(dir, 'opt-mysql-'));
    return {
      bin,
      dump: await fake('mysqldump', MYSQL_DUMP, bin),
      client: await fake('mysql', 'mysql  Ver 8.4.11 for Linux on aarch64', bin),
    };
  };
  /** A directory like Debian's /usr/bin with mariadb-client: MariaDB's names, and `mysqldump`/`mysql` aliases. */
  const givenMariadbOnPath = async (): Promise<{ bin: string; dump: string; client: string; aliasDump: string }> => {
    const bin = await mkdtemp(join(dir, 'usr-bin-'));
    return {
      bin,
      dump: await fake('mariadb-dump', MARIADB_DUMP, bin),
      client: await fake('mariadb', 'mariadb  Ver 15.1 Distrib 10.11.19-MariaDB', bin),
      aliasDump: await fake('mysqldump', MARIADB_DUMP.replace('mariadb-dump', 'mysqldump'), bin),
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keepsake-tools-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives a mysql source MySQL's client from KEEPSAKE_MYSQL_CLIENT_DIR, though PATH has MariaDB's", async () => {
    const mysql = await givenMysqlClientDir();
    const mariadb = await givenMariadbOnPath();
    const tools = await detectMysqlTools('mysql', { PATH: mariadb.bin, KEEPSAKE_MYSQL_CLIENT_DIR: mysql.bin });
    expect(tools).toEqual({
      dumpBin: mysql.dump,
      clientBin: mysql.client,
      flavor: 'mysql',
      version: MYSQL_DUMP,
      source: 'mysqlClientDir',
    });
    expect(clientLogEvent('mysql', tools)).toEqual({
      level: 'info',
      event: 'client',
      engine: 'mysql',
      flavor: 'mysql',
      version: MYSQL_DUMP,
      dump: mysql.dump,
      client: mysql.client,
      source: 'mysqlClientDir',
    });
  });

  it("gives a mariadb source MariaDB's mariadb-dump and mariadb from PATH, not the MySQL client directory", async () => {
    const mysql = await givenMysqlClientDir();
    const mariadb = await givenMariadbOnPath();
    const tools = await detectMysqlTools('mariadb', {
      PATH: `${mysql.bin}:${mariadb.bin}`,
      KEEPSAKE_MYSQL_CLIENT_DIR: mysql.bin,
    });
    expect(tools).toEqual({
      dumpBin: mariadb.dump,
      clientBin: mariadb.client,
      flavor: 'mariadb',
      version: MARIADB_DUMP,
      source: 'path',
    });
    expect(clientLogEvent('mariadb', tools)).toMatchObject({
      level: 'info',
      engine: 'mariadb',
      flavor: 'mariadb',
      dump: mariadb.dump,
    });
  });

  it("falls back to MariaDB's client on PATH for a mysql source where MySQL's is not installed, and says so", async () => {
    const mariadb = await givenMariadbOnPath();
    const tools = await detectMysqlTools('mysql', { PATH: mariadb.bin });
    expect(tools).toMatchObject({ dumpBin: mariadb.aliasDump, flavor: 'mariadb', source: 'path' });
    expect(tools.fallback).toBe(
      "KEEPSAKE_MYSQL_CLIENT_DIR is not set: this mysql source uses MariaDB's mysqldump from PATH",
    );
    expect(clientLogEvent('mysql', tools)).toMatchObject({
      level: 'warn',
      event: 'client',
      flavor: 'mariadb',
      fallback: tools.fallback,
    });
  });

  it('falls back to PATH, with a warning naming the directory, when KEEPSAKE_MYSQL_CLIENT_DIR lacks a tool', async () => {
    const partial = await mkdtemp(join(dir, 'partial-'));
    await fake('mysqldump', MYSQL_DUMP, partial);
    const mariadb = await givenMariadbOnPath();
    const tools = await detectMysqlTools('mysql', { PATH: mariadb.bin, KEEPSAKE_MYSQL_CLIENT_DIR: partial });
    expect(tools).toMatchObject({
      dumpBin: mariadb.aliasDump,
      clientBin: join(mariadb.bin, 'mariadb'),
      flavor: 'mariadb',
      source: 'path',
    });
    expect(tools.fallback).toBe(
      `KEEPSAKE_MYSQL_CLIENT_DIR (${partial}) holds no executable mysqldump and mysql: this mysql source uses MariaDB's mysqldump from PATH`,
    );
  });

  it("uses MySQL's client on PATH for a mysql source without KEEPSAKE_MYSQL_CLIENT_DIR, as the engine's own", async () => {
    const bin = await mkdtemp(join(dir, 'mysql-'));
    const dump = await fake('mysqldump', MYSQL_DUMP, bin);
    const client = await fake('mysql', 'mysql  Ver 8.4.11 for Linux on aarch64 (MySQL Community Server - GPL)', bin);
    expect(await detectMysqlTools('mysql', { PATH: `/nonexistent:${bin}` })).toEqual({
      dumpBin: dump,
      clientBin: client,
      flavor: 'mysql',
      version: MYSQL_DUMP,
      source: 'path',
    });
  });

  it("warns when a mariadb source gets MySQL's client because PATH has no MariaDB client", async () => {
    const mysql = await givenMysqlClientDir();
    const tools = await detectMysqlTools('mariadb', { PATH: mysql.bin });
    expect(tools).toMatchObject({ dumpBin: mysql.dump, flavor: 'mysql', source: 'path' });
    expect(tools.fallback).toBe(
      "MariaDB's client is not on PATH: this mariadb source uses MySQL's mysqldump from PATH",
    );
    expect(clientLogEvent('mariadb', tools).level).toBe('warn');
  });

  it('honours KEEPSAKE_MYSQLDUMP and KEEPSAKE_MYSQL for either engine, over KEEPSAKE_MYSQL_CLIENT_DIR', async () => {
    const bin = await mkdtemp(join(dir, 'override-'));
    const dump = await fake('my-dump', 'mysqldump  Ver 8.0.40 for Linux on x86_64 (MySQL Community Server - GPL)', bin);
    const mysql = await givenMysqlClientDir();
    for (const engine of ['mysql', 'mariadb'] as const) {
      const tools = await detectMysqlTools(engine, {
        PATH: '',
        KEEPSAKE_MYSQLDUMP: dump,
        KEEPSAKE_MYSQL: '/usr/bin/true',
        KEEPSAKE_MYSQL_CLIENT_DIR: mysql.bin,
      });
      expect(tools).toEqual({
        dumpBin: dump,
        clientBin: '/usr/bin/true',
        flavor: 'mysql',
        version: 'mysqldump  Ver 8.0.40 for Linux on x86_64 (MySQL Community Server - GPL)',
        source: 'override',
      });
    }
  });

  it('finds a working stdbuf and checks the dump tool through it', async () => {
    const bin = await mkdtemp(join(dir, 'stdbuf-'));
    const dump = await fake(
      'mysqldump',
      'mysqldump  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)',
      bin,
    );
    await fake('mysql', 'mysql  Ver 8.4.3', bin);
    // A stand-in that, like coreutils' stdbuf, drops its own option and execs the rest.
    const stdbuf = join(bin, 'stdbuf');
    await writeFile(stdbuf, '#!/bin/sh\nshift\nexec "$@"\n');
    await chmod(stdbuf, 0o755);
    expect(await detectMysqlTools('mysql', { PATH: bin })).toMatchObject({ dumpBin: dump, flavor: 'mysql', stdbuf });
  });

  it('leaves out a stdbuf that does not work here (no preload library) and runs the dump tool directly', async () => {
    const mariadb = await givenMariadbOnPath();
    await writeFile(
      join(mariadb.bin, 'stdbuf'),
      '#!/bin/sh\necho "stdbuf: failed to find \'libstdbuf.so\'" >&2\nexit 125\n',
    );
    await chmod(join(mariadb.bin, 'stdbuf'), 0o755);
    const tools = await detectMysqlTools('mariadb', { PATH: mariadb.bin });
    expect(tools).toEqual({
      dumpBin: mariadb.dump,
      clientBin: mariadb.client,
      flavor: 'mariadb',
      version: MARIADB_DUMP,
      source: 'path',
    });
    expect(tools.stdbuf).toBeUndefined();
  });

  it('fails clearly when the tools are not on PATH', async () => {
    await expect(detectMysqlTools('mariadb', { PATH: '/nonexistent' })).rejects.toThrow(
      'mysqldump/mysql client tools not found on PATH',
    );
    await expect(
      detectMysqlTools('mysql', { PATH: '/nonexistent', KEEPSAKE_MYSQL_CLIENT_DIR: '/nonexistent' }),
    ).rejects.toThrow('mysqldump/mysql client tools not found on PATH');
  });

  it('logs the client a backup of a mysql source picked, before it connects', async () => {
    const mysql = await givenMysqlClientDir();
    // This mysql cannot connect anywhere: the job fails at its probe, after the client line.
    await writeFile(mysql.client, "#!/bin/sh\necho 'ERROR 2002 (HY000): no server here' >&2\nexit 1\n");
    const mariadb = await givenMariadbOnPath();
    const job = BackupJobSchema.parse({
      mode: 'backup',
      sourceId: 'tools-test',
      connection: connection(),
      password: { from: 'env' },
      s3: { bucket: 'keepsake-test', endpoint: 'http://127.0.0.1:9' },
    });
    const lines: Record<string, unknown>[] = [];
    const env = { PATH: mariadb.bin, KEEPSAKE_MYSQL_CLIENT_DIR: mysql.bin, KEEPSAKE_DB_PASSWORD: 'pw' };
    await expect(runBackup(job, { env, onLog: (line) => lines.push(line) })).rejects.toThrow(/no server here/);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        event: 'client',
        engine: 'mysql',
        flavor: 'mysql',
        version: MYSQL_DUMP,
        dump: mysql.dump,
        client: mysql.client,
      }),
    ]);
  });
});
