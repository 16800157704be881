/** Characters a POSIX shell passes through unquoted. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `value` as one word for a POSIX shell (sh, bash, zsh), for commands printed for a person to paste: as it is when
 * nothing in it is special, else in single quotes, inside which only a single quote needs care (`'\''`).
 */
export function shellQuote(value: string): string {
  return PLAIN.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
