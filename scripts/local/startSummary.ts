/** A throwaway database `npm start` runs for the demo, as a person reaches it with its stock client. */
export interface DemoDatabase {
  /** The server's kind as people say it, e.g. "MariaDB". */
  readonly engine: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Printed as it is: the demo's credentials are local and thrown away with its data directory. */
  readonly password: string;
  /** A shell command that opens `database` with the stock client, credentials included (e.g. mariadbClientCommand). */
  readonly clientCommand: string;
}

export interface StartSummary {
  readonly dataDir: string;
  readonly apiUrl: string;
  readonly principal: string;
  readonly role: string;
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly dynamoDbEndpoint: string;
  readonly stepFunctionsEndpoint: string;
  /** The demo servers started, each with its client command; none when local mode backs up the user's own MySQL. */
  readonly demos: readonly DemoDatabase[];
}

const LABEL = 19;
const row = (label: string, text: string) => `  ${label.padEnd(LABEL)}${text}`;
const more = (text: string) => `  ${' '.repeat(LABEL)}${text}`;

/** One progress line of `npm start`: a part that is up, where it is, and how long since the start. */
export function progressLine(part: string, detail: string, elapsedMs: number): string {
  return `  ✔ ${part.padEnd(LABEL)}${detail}  (${(elapsedMs / 1000).toFixed(1)} s)`;
}

/**
 * What `npm start` ends with once everything is up: where the console is, how to open each demo database with its
 * client (paste-ready, credentials included), where the AWS stand-ins listen, and how to stop.
 */
export function startSummary(s: StartSummary): string {
  const lines = [
    `Keepsake is running in local mode (no AWS account; data in ${s.dataDir})`,
    '',
    row('Console', `${s.apiUrl}/`),
    row('API', `${s.apiUrl}   (every request runs as ${s.principal}, role ${s.role})`),
  ];
  for (const demo of s.demos) {
    lines.push(
      '',
      row(
        `${demo.engine} (demo)`,
        `database ${demo.database} at ${demo.host}:${demo.port}, user ${demo.user}, password: ${demo.password}`,
      ),
      more(demo.clientCommand),
    );
  }
  lines.push(
    '',
    row('S3 (s3rver)', `${s.s3Endpoint}   bucket ${s.bucket}`),
    row('DynamoDB Local', s.dynamoDbEndpoint),
    row(
      'Step Functions',
      `${s.stepFunctionsEndpoint}   (the synthesized machines; the runner runs as a child process)`,
    ),
    '',
    `Open the console at ${s.apiUrl}/ or try: curl ${s.apiUrl}/v1/backups`,
    'Use your own MySQL instead:  KEEPSAKE_DB_PASSWORD=… npm start -- --mysql-host HOST --mysql-database DB [--mysql-user U --mysql-port P]',
    'Ctrl-C stops everything; the next npm start carries on with the same data.',
  );
  return lines.join('\n');
}
