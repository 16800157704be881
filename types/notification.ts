/**
 * SNS Publish's documented limits: "Subjects must be ASCII text that begins with a letter, number, or punctuation
 * mark; must not include line breaks or control characters; and must be less than 100 characters long", and a
 * message is at most 256 KB of UTF-8. A subject SNS refuses loses the whole e-mail, so subjects are made to fit.
 */
export const SNS_SUBJECT_MAX_LENGTH = 99;
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/** Why SNS would refuse `subject`, or undefined when it would take it. */
export function snsSubjectProblem(subject: string): string | undefined {
  if (subject.length === 0) return 'the subject is empty';
  if (subject.length > SNS_SUBJECT_MAX_LENGTH)
    return `the subject is ${subject.length} characters (SNS takes fewer than 100)`;
  if (/[\r\n]/.test(subject)) return 'the subject has a line break';
  if (!/^[\x20-\x7e]+$/.test(subject)) return 'the subject has characters that are not printable ASCII';
  if (!/^[A-Za-z0-9\p{P}\p{S}]/u.test(subject))
    return 'the subject must begin with a letter, number or punctuation mark';
  return undefined;
}

/** Why SNS would refuse `message`, or undefined. */
export function snsMessageProblem(message: string): string | undefined {
  if (message.length === 0) return 'the message is empty';
  const bytes = new TextEncoder().encode(message).length;
  return bytes > SNS_MESSAGE_MAX_BYTES
    ? `the message is ${bytes} bytes of UTF-8 (SNS takes at most ${SNS_MESSAGE_MAX_BYTES})`
    : undefined;
}

/**
 * `text` as a subject SNS takes: accents dropped (é → e), anything else outside printable ASCII shown as `?`, line
 * breaks and runs of white space as one space, cut to the limit with `...`. The message keeps the exact text.
 */
export function snsSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/\s+/gu, ' ')
    .replace(/[^\x20-\x7e]+/gu, '?')
    .trim();
  const subject =
    ascii.length > SNS_SUBJECT_MAX_LENGTH ? `${ascii.slice(0, SNS_SUBJECT_MAX_LENGTH - 3).trimEnd()}...` : ascii;
  return snsSubjectProblem(subject) === undefined ? subject : 'Keepsake notification';
}
