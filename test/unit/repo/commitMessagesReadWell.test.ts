import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const HOOK = join(import.meta.dirname, '../../../.githooks/commit-msg');
const dir = mkdtempSync(join(tmpdir(), 'commit-msg-'));

/** Runs the hook on a message as git would (the message in a file); the refusal, or undefined when accepted. */
function refusal(message: string): string | undefined {
  const file = join(dir, 'COMMIT_EDITMSG');
  writeFileSync(file, message);
  try {
    execFileSync(HOOK, [file], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return String((error as { stderr: Buffer }).stderr);
  }
}

describe('the commit-msg hook', () => {
  it('accepts a subject of 72 characters, a blank line and a body, ignoring git comments', () => {
    expect(refusal(`${'x'.repeat(72)}\n\nWhy it changed.\n# Please enter the commit message\n`)).toBeUndefined();
  });

  it.each([
    ['a subject over 72 characters', `${'x'.repeat(73)}\n\nbody\n`, 'the subject is 73 characters; at most 72'],
    ['no blank line after the subject', 'Subject\nbody right away\n', 'the second line must be blank'],
    ['no body', 'Subject only\n', 'there is no body'],
    ['a body of blank lines', 'Subject\n\n  \n\n', 'there is no body'],
    ['an empty message', '# only a comment\n', 'the subject (first line) is empty'],
  ])('refuses %s', (_case, message, expected) => {
    expect(refusal(message)).toContain(expected);
  });

  it('is what setup.sh installs as the hooks path', () => {
    const setup = execFileSync('grep', [
      '-c',
      'core.hooksPath .githooks',
      join(import.meta.dirname, '../../../scripts/setup.sh'),
    ]);
    expect(Number(String(setup))).toBeGreaterThan(0);
  });
});
