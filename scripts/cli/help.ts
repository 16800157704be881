/** The CLI's help texts, rendered from the same command and option tables the parser uses, so they cannot drift. */

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's placeholder in help (`URL`, `N`), for string options. */
  readonly value?: string;
  readonly help: string;
}

export interface CommandHelp {
  /** The arguments after the command's name: `<backup> [--out FILE] [--force]`. */
  readonly usage: string;
  /** One line for the command list. */
  readonly summary: string;
  /** What it does and promises, for `keepsake help <command>`. */
  readonly details: string;
  /** The options it takes besides the global ones. */
  readonly options: readonly string[];
  /** Command lines that work as written against local mode (placeholders in angle brackets). */
  readonly examples: readonly string[];
}

const INTRO = `The Keepsake API from a shell. It talks to local mode (npm start, http://127.0.0.1:8780) unless
KEEPSAKE_API_URL or --api names a deployed API, whose requests are signed with SigV4 using your AWS credentials.`;

const NOTES = `A data source is given by its id, its name, or the start of its name when only one name starts that way
("demo" for "demo (local MariaDB)"). Results go to stdout, errors and progress to stderr; progress is drawn only
on a terminal and never with --quiet. Times are shown in your time zone (TZ).

exit codes: 0 done; 1 the operation failed (a failed backup or restore, a checksum mismatch, an API error);
2 the command line is wrong (an unknown command or option, a bad value, a name that matches nothing or more than
one data source, a file that exists).`;

function optionLine(name: string, spec: OptionSpec): [string, string] {
  const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
  return [flag, spec.help];
}

function columns(rows: readonly [string, string][], indent = '  '): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}${right}`).join('\n');
}

/** `keepsake --help`: every command in a line, the global options, how names and exit codes work, examples. */
export function generalHelp(
  commands: Readonly<Record<string, CommandHelp>>,
  globals: Readonly<Record<string, OptionSpec>>,
): string {
  return [
    'usage: keepsake [--api URL] [--json] [--quiet] <command> [arguments]',
    '',
    INTRO,
    '',
    'commands:',
    columns([
      ...Object.entries(commands).map(([name, command]): [string, string] => [
        // The command's leading arguments (`restore <backup>`); its options are in its own help.
        `${name} ${/^(<[^>]+>\s*)*/.exec(command.usage)?.[0] ?? ''}`.trim(),
        command.summary,
      ]),
      ['help [command]', "this text, or one command's options and examples"],
    ]),
    '',
    'global options:',
    columns(Object.entries(globals).map(([name, spec]) => optionLine(name, spec))),
    '',
    NOTES,
    '',
    'examples:',
    '  keepsake sources',
    '  keepsake backup demo',
    '  keepsake list --source demo --status failed',
    '  keepsake help restore',
  ].join('\n');
}

/** `keepsake help <command>` and `keepsake <command> --help`. */
export function commandHelp(
  name: string,
  command: CommandHelp,
  options: Readonly<Record<string, OptionSpec>>,
  globals: Readonly<Record<string, OptionSpec>>,
): string {
  const own = command.options.map((option): [string, string] => {
    const spec = options[option];
    if (!spec) throw new Error(`help for ${name} names an unknown option --${option}`);
    return optionLine(option, spec);
  });
  return [
    `usage: keepsake ${name}${command.usage ? ` ${command.usage}` : ''}`,
    '',
    command.details,
    '',
    ...(own.length > 0 ? ['options:', columns(own), ''] : []),
    'global options:',
    columns(Object.entries(globals).map(([option, spec]) => optionLine(option, spec))),
    '',
    'examples:',
    ...command.examples.map((example) => `  ${example}`),
  ].join('\n');
}
