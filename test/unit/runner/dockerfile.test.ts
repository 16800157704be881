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
        .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
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

function runBundle(bundle: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): { status: number | null; stdout: string; stderr: string } {
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
    const stale = !existsSync(BUNDLE) || statSync(BUNDLE).mtimeMs < Math.max(newestSource(join(CONTEXT, 'src')), newestSource(join(ROOT, 'types')));
    if (stale) {
      const build = spawnSync(process.execPath, ['scripts/buildRunner.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
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

  it("puts igzip (the runner's compressor) on PATH, statically linked, from a source it checks by SHA-256", () => {
    const stageOf = (name: string) => {
      const start = dockerfile.findIndex((i) => i.keyword === 'FROM' && new RegExp(`\\bAS\\s+${name}$`, 'i').test(i.args));
      const end = dockerfile.findIndex((i, at) => at > start && i.keyword === 'FROM');
      return dockerfile.slice(start, end === -1 ? undefined : end);
    };
    const build = stageOf('igzip');
    expect(build.length).toBeGreaterThan(0);
    const args = Object.fromEntries(build.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
    expect(args.ISAL_SHA256).toMatch(/^[0-9a-f]{64}$/);
    const script = build.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' ');
    expect(script).toMatch(/"\$\{ISAL_SHA256\}\s+\/tmp\/isal\.tar\.xz" \| sha256sum -c -/);
    // Checked before it is unpacked, and linked statically so the EL9 image's glibc does not matter.
    expect(script.indexOf('sha256sum -c')).toBeLessThan(script.indexOf('tar -xJf /tmp/isal.tar.xz'));
    expect(script).toContain('LDFLAGS=-all-static');
    const copied = copies.find((c) => c.flags.includes('--from=igzip'));
    expect(copied?.sources).toEqual(['/src/programs/igzip']);
    expect(copied?.dest).toBe('/usr/local/bin/igzip');
    const final = dockerfile.slice(dockerfile.map((i) => i.keyword).lastIndexOf('FROM'));
    expect(final.some((i) => i.keyword === 'RUN' && /\bigzip --version\b/.test(i.args))).toBe(true);
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
    for (const setting of settings) expect(setting).not.toMatch(/PASSWORD|SECRET|TOKEN|AWS_ACCESS_KEY|AWS_SESSION|CREDENTIAL/i);
  });

  it('is based on Node 20 and installs the MySQL client from a signed repository', () => {
    const text = readFileSync(DOCKERFILE, 'utf8');
    expect(text).toMatch(/ARG NODE_IMAGE=node:20[-\w.]*/);
    expect(text).toContain('gpgcheck=1');
    expect(text).toContain('mysql-community-client');
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
      expect(JSON.parse(result.stdout)).toEqual({ ok: false, error: 'no job: pass a job file (runner.mjs job.json) or set KEEPSAKE_JOB' });
    });

    it('loads the AWS SDK from inside the bundle and fails a job cleanly with exit code 1', () => {
      const job = { mode: 'verify', s3: { bucket: 'keepsake-test', endpoint: 'http://127.0.0.1:9' }, key: 'k.sql.gz', expectedSha256: 'a'.repeat(64) };
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
