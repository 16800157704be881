import { describe, expect, it } from 'vitest';
import { localPublish } from '../../../scripts/local/orchestration.ts';
import { snsMessageProblem, snsSubject, snsSubjectProblem } from '../../../types/notification.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';

describe('SNS subjects', () => {
  it.each([
    ['Keepsake: backup of Shop (shop) failed', undefined],
    ['Keepsake: backup of 本番 failed', 'not printable ASCII'],
    ['Keepsake: backup of a\nb failed', 'line break'],
    ['x'.repeat(99), undefined],
    ['x'.repeat(100), 'fewer than 100'],
    [' leading space', 'must begin with'],
    ['', 'empty'],
  ])('%j → %s', (subject, problem) => {
    if (problem === undefined) expect(snsSubjectProblem(subject)).toBeUndefined();
    else expect(snsSubjectProblem(subject)).toContain(problem);
  });

  it('turns any name into a subject SNS takes, keeping what ASCII can say', () => {
    expect(snsSubject('Keepsake: backup of Café Crème (db) failed')).toBe('Keepsake: backup of Cafe Creme (db) failed');
    expect(snsSubject('Keepsake: backup of 本番\r\n東京 failed')).toBe('Keepsake: backup of ? ? failed');
    const long = snsSubject(`Keepsake: backup of ${'a'.repeat(200)} failed`);
    expect(long).toHaveLength(99);
    expect(long.endsWith('...')).toBe(true);
    for (const text of ['\n\n', '本番', '  \t', 'Keepsake: 😀'.repeat(20)])
      expect(snsSubjectProblem(snsSubject(text)), text).toBeUndefined();
  });

  it('refuses messages over 256 KB of UTF-8', () => {
    expect(snsMessageProblem('é'.repeat(131_072))).toBeUndefined();
    expect(snsMessageProblem('é'.repeat(131_073))).toContain('262146 bytes');
  });
});

describe('the local SNS refuses what SNS refuses', () => {
  const delivered: unknown[] = [];
  const publish = localPublish((n) => delivered.push(n), ['Backup']);

  it('delivers a publish SNS would take', async () => {
    await expect(publish('Backup')({ TopicArn: TOPIC, Subject: 'Keepsake: ok', Message: 'm' })).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
    expect(delivered).toHaveLength(1);
  });

  it('refuses a subject SNS refuses, and a machine whose role may not publish', async () => {
    await expect(
      publish('Backup')({ TopicArn: TOPIC, Subject: 'Keepsake: 本番\nfailed', Message: 'm' }),
    ).rejects.toMatchObject({ name: 'SNS.InvalidParameterException' });
    await expect(publish('Restore')({ TopicArn: TOPIC, Subject: 'Keepsake: ok', Message: 'm' })).rejects.toMatchObject({
      name: 'SNS.AuthorizationErrorException',
    });
    expect(delivered).toHaveLength(1);
  });
});
