import { describe, expect, it } from 'vitest';
import type { ListedAuditEvent } from '../../../types/apiAudit.ts';
import { emailInPrincipalFilter } from '../../../web/src/principalFilter.ts';

const ADA = 'cognito:1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const event = (principal: string, principalName?: string): ListedAuditEvent => ({
  id: principal,
  at: '2026-03-01T12:00:00.000Z',
  principal,
  action: 'backup.delete',
  targetType: 'backup',
  targetId: 'bk-1',
  ...(principalName && { principalName }),
});
const listed = [event('arn:aws:iam::123456789012:user/alice'), event(ADA, 'Ada@Example.com')];

describe("the audit log's principal filter, given an e-mail address", () => {
  it('offers the principal the listed events show under that address, whatever its case or spaces', () => {
    expect(emailInPrincipalFilter('ada@example.com', listed)).toEqual({ principal: ADA });
    expect(emailInPrincipalFilter('  ADA@example.com ', listed)).toEqual({ principal: ADA });
  });

  it('still explains itself when no listed event shows that address', () => {
    expect(emailInPrincipalFilter('ben@example.com', listed)).toEqual({});
    expect(emailInPrincipalFilter('ada@example.com', [])).toEqual({});
  });

  it('leaves principals alone, even those containing an address', () => {
    for (const typed of [
      '',
      ADA,
      'arn:aws:iam::123456789012:user/ada@example.com',
      'keepsake:retention',
      'ada@',
      'ada@example',
      'eu-west-1:0f4c9a52-6b1e-4d7a-9e3f-2a8b7c6d5e41',
    ]) {
      expect(emailInPrincipalFilter(typed, listed), typed).toBeUndefined();
    }
  });
});
