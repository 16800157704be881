import { describe, expect, it } from 'vitest';
import { RunnerError, messageOf, redact } from '../../../containers/backup/src/errors.ts';

describe('redact', () => {
  it('replaces every occurrence of a secret', () => {
    expect(redact('pw=hunter2; again hunter2 and hunter2', ['hunter2'])).toBe(
      'pw=[redacted]; again [redacted] and [redacted]',
    );
    expect(redact('hunter2hunter2', ['hunter2'])).not.toContain('hunter');
  });

  it('leaves text without secrets, and text with no secrets given, unchanged', () => {
    expect(redact('nothing to hide', ['hunter2'])).toBe('nothing to hide');
    expect(redact('nothing to hide', [])).toBe('nothing to hide');
  });

  it('ignores empty secrets instead of redacting between every character', () => {
    expect(redact('abc', [''])).toBe('abc');
    expect(redact('abc', ['', 'b'])).toBe('a[redacted]c');
  });

  it('treats secrets literally, not as patterns', () => {
    expect(redact('a.b*c and axbbc', ['a.b*c'])).toBe('[redacted] and axbbc');
    expect(redact('$& $1 \\ (x)', ['$&', '(x)'])).toBe('[redacted] $1 \\ [redacted]');
  });

  it('handles secrets with quotes, newlines and unicode', () => {
    expect(redact(`error: 'p"a\nss ✓' rejected`, ['p"a\nss ✓'])).toBe("error: '[redacted]' rejected");
  });

  it('removes the whole of each secret when one secret contains another', () => {
    for (const secrets of [
      ['abc', 'abcdef'],
      ['abcdef', 'abc'],
    ]) {
      const out = redact('x abcdef y abc z', secrets);
      expect(out).not.toContain('abc');
      expect(out).not.toContain('def');
    }
  });

  it('removes every character of secrets that overlap', () => {
    const out = redact('before abcd after', ['abc', 'bcd']);
    expect(out).toBe('before [redacted] after');
  });
});

describe('RunnerError and messageOf', () => {
  it('is an Error named RunnerError that keeps its cause', () => {
    const cause = new Error('root cause');
    const error = new RunnerError('explained', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RunnerError');
    expect(error.message).toBe('explained');
    expect(error.cause).toBe(cause);
  });

  it('gives the message of an Error and the text of anything else', () => {
    expect(messageOf(new TypeError('bad type'))).toBe('bad type');
    expect(messageOf('plain')).toBe('plain');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(undefined)).toBe('undefined');
  });
});
