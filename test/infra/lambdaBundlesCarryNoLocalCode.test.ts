import { build } from 'esbuild';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** Every Lambda's entry: the files under functions/ that export `handler` (Api.ts and orchestration/ deploy them). */
async function lambdaEntries(): Promise<string[]> {
  const files = (await readdir(join(ROOT, 'functions'), { recursive: true })).filter((file) => file.endsWith('.ts'));
  const entries: string[] = [];
  for (const file of files) {
    const path = join(ROOT, 'functions', file);
    if ((await readFile(path, 'utf8')).includes('export const handler')) entries.push(path);
  }
  return entries.sort();
}

describe('the Lambda bundles', () => {
  it('carry none of local mode’s code: no scripts/ module and no local secret store', async () => {
    const entries = await lambdaEntries();
    expect(entries.length).toBeGreaterThan(30);
    // What KeepsakeFunction has esbuild do, short of minifying: the AWS SDK stays outside.
    const { metafile, outputFiles } = await build({
      entryPoints: entries,
      outdir: join(ROOT, '.scratch', 'lambda-bundles'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      external: ['@aws-sdk/*'],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const localInputs = Object.entries(metafile.outputs).flatMap(([output, { inputs }]) =>
      Object.keys(inputs)
        .filter((input) => input.startsWith('scripts/') || input.includes('/scripts/'))
        .map((input) => `${output} <- ${input}`),
    );
    expect(localInputs).toEqual([]);
    // The local stores' references look like ARNs in a fake `local` region: no bundle may hold that code.
    const withLocalStores = outputFiles
      .filter((file) => file.text.includes('secretsmanager:local:'))
      .map((file) => relative(ROOT, file.path));
    expect(withLocalStores).toEqual([]);
  });
});
