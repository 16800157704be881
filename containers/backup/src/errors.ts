/** A failure the runner explains to a person: its message is shown as the backup's or restore's error. */
export class RunnerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunnerError';
  }
}

/** Removes every occurrence of each secret from a text before it can reach a log or a result line. */
export function redact(text: string, secrets: readonly string[]): string {
  // Every character inside any occurrence of any secret is found first, then each run of them is replaced once:
  // replacing one secret after another would leave behind the rest of a longer or overlapping one.
  const hidden = new Uint8Array(text.length);
  let found = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
      hidden.fill(1, at, at + secret.length);
      found = true;
    }
  }
  if (!found) return text;
  let out = '';
  for (let i = 0; i < text.length;) {
    const start = i;
    const secret = hidden[i] === 1;
    while (i < text.length && (hidden[i] === 1) === secret) i++;
    out += secret ? '[redacted]' : text.slice(start, i);
  }
  return out;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
