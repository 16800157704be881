import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Output } from '../../../scripts/cli/keepsake.ts';
import { startFakeApi, type FakeApi } from './fakeApi.ts';

/** Every line of the README's ```sh blocks that runs `keepsake`, in order. */
async function readmeExamples(): Promise<string[]> {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks.flatMap((block) => block.split('\n')).filter((line) => /^keepsake\b/.test(line));
}

/** A command line split as sh would: words, single- and double-quoted strings; a trailing comment dropped. */
function words(line: string): string[] {
  const found = line.replace(/\s+#.*$/, '').match(/'[^']*'|"[^"]*"|\S+/g) ?? [];
  return found.map((word) => word.replace(/^(['"])(.*)\1$/, '$2'));
}

let api: FakeApi;
let dir: string;
beforeAll(async () => {
  api = await startFakeApi();
  dir = await mkdtemp(join(tmpdir(), 'keepsake-readme-'));
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the README's keepsake examples", () => {
  it('are there, and each runs as written against the API (placeholders filled in), exiting 0', async () => {
    const examples = await readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(10);
    for (const example of examples) {
      const [command = '', ...pipedTo] = example.split(' | ');
      const args = words(command)
        .slice(1)
        .map((word) =>
          word
            .replace('<backup-id>', 'b-1')
            .replace('<restore-id>', 'r-1')
            .replace(/^https:\/\/[^ ]*execute-api[^ ]*$/, api.url),
        );
      // Files the examples save go to a scratch folder, not the working directory.
      const out = args.findIndex((word) => word === '--out' || word === '-o') + 1;
      if (out > 0 && args[out] && !isAbsolute(args[out])) args[out] = join(dir, args[out]);
      let stdout = '';
      let stderr = '';
      const output: Output = {
        stdout: { write: (chunk: string) => (stdout += chunk) },
        stderr: { isTTY: false, write: (chunk: string) => (stderr += chunk) },
      };
      const code = await main(args, { ...process.env, KEEPSAKE_API_URL: api.url }, undefined, output);
      expect({ example, code, stderr }).toEqual({ example, code: 0, stderr: '' });
      expect(stdout, example).not.toBe('');
      // What is piped on is fed JSON.
      if (pipedTo.length > 0) expect(() => JSON.parse(stdout), example).not.toThrow();
    }
  });
});
