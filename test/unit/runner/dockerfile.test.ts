import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const CONTEXT = join(ROOT, 'containers/backup');
const DOCKERFILE = join(CONTEXT, 'Dockerfile');
const BUNDLE = join(CONTEXT, 'dist/runner.mjs');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions with line continuations joined and comment lines dropped. */
function instructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  if (current.trim()) logical.push(current);
  return logical
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [keyword = '', ...rest] = l.trim().split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** Sources and destination of a COPY/ADD, in shell or JSON form, with its --flags apart. */
function copyParts(args: string): { flags: string[]; sources: string[]; dest: string } {
  const words = args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const dest = paths.pop() ?? '';
  return { flags, sources: paths, dest };
}

/** Whether `.dockerignore` rules (last match wins, `!` re-includes) leave `path` in the build context. */
function includedByDockerignore(rules: readonly string[], path: string): boolean {
  const toRegex = (pattern: string): RegExp =>
    new RegExp(
      `^${pattern
        .split(/(\*\*|\*|\?)/)
        .map((part) =>
          part === '**'
            ? '.*'
            : part === '*'
              ? '[^/]*'
              : part === '?'
                ? '[^/]'
                : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('')}(/.*)?$`,
    );
  let included = true;
  for (const rule of rules) {
    const exception = rule.startsWith('!');
    const pattern = posix.normalize((exception ? rule.slice(1) : rule).trim()).replace(/^\/+/, '');
    if (toRegex(pattern).test(path)) included = exception;
  }
  return included;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function runBundle(
  bundle: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bundle, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('containers/backup/Dockerfile', () => {
  const dockerfile = instructions(readFileSync(DOCKERFILE, 'utf8'));
  const rules = readFileSync(join(CONTEXT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const copies = dockerfile.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => copyParts(i.args));
  const fromContext = copies.filter((c) => !c.flags.some((f) => f.startsWith('--from=')));

  beforeAll(() => {
    // Build the bundle unless an up-to-date one is there already (npm test builds it first).
    const stale =
      !existsSync(BUNDLE) ||
      statSync(BUNDLE).mtimeMs < Math.max(newestSource(join(CONTEXT, 'src')), newestSource(join(ROOT, 'types')));
    if (stale) {
      const build = spawnSync(process.execPath, ['scripts/buildRunner.mjs'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(build.status, build.stderr).toBe(0);
    }
    expect(existsSync(BUNDLE)).toBe(true);
  });

  it('copies only files that exist in the build context and that .dockerignore lets through', () => {
    expect(fromContext.length).toBeGreaterThan(0);
    for (const { sources } of fromContext) {
      for (const source of sources) {
        const relative = posix.normalize(source).replace(/^\.\//, '');
        expect(relative.startsWith('..'), `${source} is outside the build context`).toBe(false);
        expect(existsSync(join(CONTEXT, relative)), `${source} exists in ${CONTEXT}`).toBe(true);
        expect(includedByDockerignore(rules, relative), `${source} is not excluded by .dockerignore`).toBe(true);
      }
    }
  });

  it('keeps the sources, the source map and node_modules out of the build context', () => {
    for (const path of ['src/main.ts', 'dist/runner.mjs.map', 'node_modules/zod/package.json', 'Dockerfile.local']) {
      expect(includedByDockerignore(rules, path), path).toBe(false);
    }
  });

  it('copies stages and images only by name from stages it defines', () => {
    const stages = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]);
    for (const { flags } of copies) {
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      if (from !== undefined) expect(stages).toContain(from);
    }
  });

  it('runs the copied bundle with node as its ENTRYPOINT', () => {
    const entrypoints = dockerfile.filter((i) => i.keyword === 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    const entrypoint = JSON.parse(entrypoints[0]?.args ?? '[]') as string[];
    const bundleCopy = fromContext.find((c) => c.sources.some((s) => posix.normalize(s) === 'dist/runner.mjs'));
    expect(bundleCopy).toBeDefined();
    const dest = bundleCopy?.dest ?? '';
    const copiedTo = dest.endsWith('/') ? posix.join(dest, 'runner.mjs') : dest;
    expect(entrypoint).toEqual(['node', copiedTo]);
    expect(copiedTo.startsWith('/')).toBe(true);
  });

  it('runs as a non-root user and bakes no secret into the image', () => {
    const users = dockerfile.filter((i) => i.keyword === 'USER');
    const user = users.at(-1)?.args.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const settings = dockerfile.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG').map((i) => i.args);
    for (const setting of settings)
      expect(setting).not.toMatch(/PASSWORD|SECRET|TOKEN|AWS_ACCESS_KEY|AWS_SESSION|CREDENTIAL/i);
  });

  const text = readFileSync(DOCKERFILE, 'utf8');
  const stageOf = (name: string): Instruction[] => {
    const start = dockerfile.findIndex(
      (i) => i.keyword === 'FROM' && new RegExp(`\\bAS\\s+${name}$`, 'i').test(i.args),
    );
    if (start === -1) return [];
    const end = dockerfile.findIndex((i, at) => at > start && i.keyword === 'FROM');
    return dockerfile.slice(start, end === -1 ? undefined : end);
  };
  const final = dockerfile.slice(dockerfile.map((i) => i.keyword).lastIndexOf('FROM'));
  const scriptOf = (stage: readonly Instruction[]): string =>
    stage
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' ; ');
  const argsOf = (stage: readonly Instruction[]): Record<string, string> =>
    Object.fromEntries(stage.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
  const envOf = (stage: readonly Instruction[]): Record<string, string> =>
    Object.fromEntries(stage.filter((i) => i.keyword === 'ENV').map((i) => i.args.split('=') as [string, string]));

  it('builds every stage on the official Node 22 (or newer LTS) image for Debian bookworm', () => {
    const nodeImage = /^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(text);
    expect(nodeImage, 'ARG NODE_IMAGE=node:<major>-bookworm-slim').not.toBeNull();
    const major = Number(nodeImage?.[1]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major % 2, 'an LTS line (even major)').toBe(0);
    for (const from of dockerfile.filter((i) => i.keyword === 'FROM'))
      expect(from.args).toMatch(/^\$\{NODE_IMAGE\}(\s+AS\s+\S+)?$/i);
    // Node comes with the base: no node binary copied in from elsewhere.
    expect(copies.some((c) => c.sources.some((s) => s.endsWith('/bin/node')))).toBe(false);
  });

  it("installs Debian's mariadb-client for MariaDB sources and isal for igzip, and runs them in the build", () => {
    const script = scriptOf(final);
    const install = /apt-get install -y --no-install-recommends ([^;&|]+)/.exec(script)?.[1]?.trim().split(/\s+/) ?? [];
    expect(install).toEqual(expect.arrayContaining(['mariadb-client', 'isal']));
    for (const check of ['igzip --version', 'mariadb-dump --version', 'mariadb --version', 'node --version'])
      expect(script).toContain(check);
    // igzip is Debian's now: no stage builds it, nothing copies it in.
    expect(stageOf('igzip')).toEqual([]);
    expect(copies.some((c) => c.sources.some((s) => s.includes('igzip')))).toBe(false);
    // Debian puts it on PATH as `igzip`, the name the runner's compressor looks for.
    expect(readFileSync(join(CONTEXT, 'src/compressor.ts'), 'utf8')).toContain("firstOnPath(['igzip'], env)");
  });

  it("installs MySQL's 8.4 LTS client for MySQL sources from MySQL's signed glibc2.28 tarball, into its own prefix", () => {
    const stage = stageOf('mysql-client');
    expect(stage.length).toBeGreaterThan(0);
    const args = argsOf(stage);
    const [major, minor, patch] = (args.MYSQL_VERSION ?? '').split('.').map(Number);
    expect([major, minor]).toEqual([8, 4]);
    // 8.4.7 and later are signed with the key pinned here.
    expect(patch).toBeGreaterThanOrEqual(7);
    expect(args.MYSQL_KEY_FINGERPRINT).toBe('BCA43417C3B485DD128EC6D4B7B3B788A8D3785C');
    const script = scriptOf(stage);
    expect(script).toContain('file="mysql-${MYSQL_VERSION}-linux-glibc2.28-${arch}.tar.xz"');
    expect(script).toMatch(/arch="\$\(uname -m\)"; case "\$arch" in x86_64\|aarch64\) ;;/);
    for (const url of script.match(/\bhttps?:\/\/[^\s"]+/g) ?? [])
      expect(url, 'downloads over https only').toMatch(/^https:\/\//);
    expect(script).toContain('"https://dev.mysql.com/downloads/gpg/?file=${file}&p=23"');
    // The key is the pinned one, and the tarball's signature is that key's, checked before anything is unpacked.
    expect(script).toContain('grep -qx "fpr:::::::::${MYSQL_KEY_FINGERPRINT}:"');
    expect(script).toContain('gpg --batch --status-fd 1 --verify "$file.asc" "$file"');
    expect(script).toContain('grep -q "^\\[GNUPG:\\] VALIDSIG .* ${MYSQL_KEY_FINGERPRINT}\\$" verify.status');
    expect(script.indexOf('VALIDSIG')).toBeLessThan(script.indexOf('tar -xJf "$file"'));
    // Only mysqldump and mysql (and the tarball's libraries they load) go into the prefix, and both must run.
    expect(script).toContain('for tool in mysqldump mysql; do');
    expect(script).not.toMatch(/cp -r|cp -a|mv \/opt\/mysql-dist/);
    expect(script).toContain(
      "if ldd /opt/mysql/bin/mysqldump /opt/mysql/bin/mysql | grep -F 'not found'; then exit 1; fi",
    );
    const copied = copies.filter((c) => c.flags.includes('--from=mysql-client'));
    expect(copied).toEqual([{ flags: ['--from=mysql-client'], sources: ['/opt/mysql'], dest: '/opt/mysql' }]);
    expect(envOf(final).KEEPSAKE_MYSQL_CLIENT_DIR).toBe('/opt/mysql/bin');
    for (const tool of ['mysqldump', 'mysql'])
      expect(scriptOf(final)).toContain(`"$KEEPSAKE_MYSQL_CLIENT_DIR/${tool}" --version`);
    // Off PATH: `mysql` on PATH stays MariaDB's, and the runner picks MySQL's by engine.
    expect(dockerfile.some((i) => i.keyword === 'ENV' && /^PATH=.*\/opt\/mysql/.test(i.args))).toBe(false);
  });

  it("installs PostgreSQL 17's client for PostgreSQL sources from the PGDG repository, checked against its pinned key", () => {
    // pg_dump refuses a server newer than itself: only the newest client dumps every supported server (9.6-17).
    expect(argsOf(final).PG_CLIENT_MAJOR).toBe('17');
    const keyStage = stageOf('pgdg-key');
    expect(argsOf(keyStage).PGDG_KEY_FINGERPRINT).toBe('B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8');
    const keyScript = scriptOf(keyStage);
    expect(keyScript).toContain(
      'curl -fsSL --retry 3 -o /tmp/pgdg.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc',
    );
    expect(keyScript).toContain('grep -qx "fpr:::::::::${PGDG_KEY_FINGERPRINT}:"');
    expect(keyScript.indexOf('fpr:::')).toBeLessThan(keyScript.indexOf('gpg --batch --dearmor'));
    expect(copies.filter((c) => c.flags.includes('--from=pgdg-key'))).toEqual([
      { flags: ['--from=pgdg-key'], sources: ['/usr/share/keyrings/pgdg.gpg'], dest: '/usr/share/keyrings/pgdg.gpg' },
    ]);
    const script = scriptOf(final);
    // apt.postgresql.org publishes arm64 and amd64 for bookworm; apt checks its packages against that key only.
    expect(script).toContain(
      'echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main"',
    );
    expect(script).toContain('apt-get install -y --no-install-recommends "postgresql-client-${PG_CLIENT_MAJOR}"');
    // Spelt out, not ${PG_CLIENT_MAJOR}: the local Fargate emulation reads ENV as written (scripts/local/fargateTask.ts).
    expect(envOf(final).KEEPSAKE_PG_CLIENT_DIR).toBe(`/usr/lib/postgresql/${argsOf(final).PG_CLIENT_MAJOR}/bin`);
    // Each tool runs in the build and is the pinned major version.
    expect(script).toContain(
      'for tool in pg_dump pg_restore psql; do "$KEEPSAKE_PG_CLIENT_DIR/$tool" --version | grep -q " ${PG_CLIENT_MAJOR}\\."; done',
    );
    expect(readFileSync(join(CONTEXT, 'src/engines/postgresql/tools.ts'), 'utf8')).toContain(
      'env.KEEPSAKE_PG_CLIENT_DIR',
    );
    expect(readFileSync(BUNDLE, 'utf8')).toContain('KEEPSAKE_PG_CLIENT_DIR');
  });

  it('names the MySQL client directory with the variable the runner reads it from', () => {
    expect(readFileSync(join(CONTEXT, 'src/engines/mysql/tools.ts'), 'utf8')).toContain(
      'env.KEEPSAKE_MYSQL_CLIENT_DIR',
    );
    expect(readFileSync(BUNDLE, 'utf8')).toContain('KEEPSAKE_MYSQL_CLIENT_DIR');
    expect(Object.keys(envOf(final))).toContain('KEEPSAKE_MYSQL_CLIENT_DIR');
  });

  it('declares /tmp as a sticky, world-writable volume, last before it switches to user 10001', () => {
    // Exactly these two lines: Fargate takes a declared volume's ownership and mode from the image (and the local
    // Fargate emulation reads them as written).
    expect(text).toContain('\nRUN install -d -m 1777 /tmp\nVOLUME ["/tmp"]\n');
    const volumes = dockerfile.filter((i) => i.keyword === 'VOLUME');
    expect(volumes).toEqual([{ keyword: 'VOLUME', args: '["/tmp"]' }]);
    const at = (i: Instruction | undefined): number => (i ? dockerfile.indexOf(i) : -1);
    const volume = at(volumes[0]);
    const users = dockerfile.filter((i) => i.keyword === 'USER');
    expect(users.map((u) => u.args)).toEqual(['10001:10001']);
    expect(volume).toBeLessThan(at(users[0]));
    // A build discards changes to a volume's path made after its VOLUME line.
    expect(dockerfile.slice(volume).some((i) => i.keyword === 'RUN')).toBe(false);
    expect(scriptOf(final)).toContain('useradd --system --uid 10001 --user-group');
  });

  it('writes nothing outside /tmp at run time, so it runs on a read-only root', () => {
    expect(dockerfile.filter((i) => i.keyword === 'VOLUME').map((i) => i.args)).toEqual(['["/tmp"]']);
    // Nothing moves the runner's scratch directory (os.tmpdir()) off the volume.
    expect(Object.keys(envOf(final)).sort()).toEqual([
      'KEEPSAKE_MYSQL_CLIENT_DIR',
      'KEEPSAKE_PG_CLIENT_DIR',
      'NODE_ENV',
    ]);
    expect(text).not.toMatch(/TMPDIR/);
    // node itself is the entrypoint: no wrapper script that could write before the runner starts.
    expect(JSON.parse(dockerfile.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '[]')).toEqual([
      'node',
      '/app/runner.mjs',
    ]);
    // The runner's only files: each engine's credentials and CA bundle, in a private directory under os.tmpdir().
    const sources = (readdirSync(join(CONTEXT, 'src'), { recursive: true }) as string[]).filter((f) =>
      f.endsWith('.ts'),
    );
    const writers = sources.filter((f) =>
      /\b(writeFile|appendFile|createWriteStream|mkdir|mkdtemp|copyFile)\b/.test(
        readFileSync(join(CONTEXT, 'src', f), 'utf8'),
      ),
    );
    expect(writers.sort()).toEqual(['engines/mysql/tools.ts', 'engines/postgresql/tools.ts', 'privateDir.ts']);
    expect(readFileSync(join(CONTEXT, 'src/privateDir.ts'), 'utf8')).toContain(
      "await mkdtemp(join(tmpdir(), 'keepsake-'))",
    );
    // Each engine writes only into the private directory withPrivateDir gives it.
    for (const writer of writers.filter((f) => f.startsWith('engines/'))) {
      const folder = join(CONTEXT, 'src', posix.dirname(writer));
      const code = readdirSync(folder).map((f) => readFileSync(join(folder, f), 'utf8'));
      expect(
        code.some((text) => text.includes('withPrivateDir(')),
        writer,
      ).toBe(true);
    }
  });

  describe('the bundle', () => {
    // A copy away from the repository, so that it can only run if it is self-contained (no node_modules to find).
    let dir: string;
    let bundle: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'keepsake-bundle-'));
      bundle = join(dir, basename(BUNDLE));
      copyFileSync(BUNDLE, bundle);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir, ...extra });

    it('rejects an invalid job with exit code 2 and one JSON line naming the bad field', () => {
      const result = runBundle(bundle, ['{"mode":"nope"}'], env(), dir);
      expect(result.status, result.stderr).toBe(2);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const out = JSON.parse(lines[0] ?? '') as { ok: boolean; error: string };
      expect(out.ok).toBe(false);
      expect(out.error).toMatch(/^invalid job: mode: /);
    });

    it('says how to pass a job when given none', () => {
      const result = runBundle(bundle, [], env(), dir);
      expect(result.status).toBe(2);
      expect(JSON.parse(result.stdout)).toEqual({
        ok: false,
        error: 'no job: pass a job file (runner.mjs job.json) or set KEEPSAKE_JOB',
      });
    });

    it('loads the AWS SDK from inside the bundle and fails a job cleanly with exit code 1', () => {
      const job = {
        mode: 'verify',
        s3: { bucket: 'keepsake-test', endpoint: 'http://127.0.0.1:9' },
        key: 'k.sql.gz',
        expectedSha256: 'a'.repeat(64),
      };
      const result = runBundle(
        bundle,
        [],
        env({
          KEEPSAKE_JOB: JSON.stringify(job),
          AWS_ACCESS_KEY_ID: 'unit-test',
          AWS_SECRET_ACCESS_KEY: 'unit-test',
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_MAX_ATTEMPTS: '1',
        }),
        dir,
      );
      expect(result.status, result.stderr).toBe(1);
      const out = JSON.parse(result.stdout.trim()) as { ok: boolean; mode: string; error: string };
      expect(out).toMatchObject({ ok: false, mode: 'verify' });
      expect(out.error).toContain('s3://keepsake-test/k.sql.gz');
      // Logs are JSON lines on stderr; the start event names the mode.
      const events = result.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { event?: string; mode?: string });
      expect(events).toContainEqual(expect.objectContaining({ event: 'start', mode: 'verify' }));
    });
  });
});
