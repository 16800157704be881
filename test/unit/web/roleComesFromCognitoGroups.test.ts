import { describe, expect, it } from 'vitest';
import { claimsOf, roleFromGroups } from '../../../web/src/auth/idToken.ts';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe("the console's role from the ID token's cognito:groups", () => {
  it('is the widest Keepsake group, whatever the order', () => {
    expect(roleFromGroups(['viewer'])).toBe('viewer');
    expect(roleFromGroups(['operator', 'viewer'])).toBe('operator');
    expect(roleFromGroups(['viewer', 'admin', 'operator'])).toBe('admin');
    expect(roleFromGroups(['admin', 'viewer'])).toBe('admin');
  });

  it('ignores groups that are not Keepsake roles, and is none without one', () => {
    expect(roleFromGroups(['billing', 'operator'])).toBe('operator');
    expect(roleFromGroups(['billing'])).toBeUndefined();
    expect(roleFromGroups([])).toBeUndefined();
    expect(roleFromGroups(undefined)).toBeUndefined();
  });

  it('reads the claims of a JWT payload, base64url and UTF-8 included', () => {
    const claims = {
      iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc',
      exp: 1_900_000_000,
      email: 'zoë@example.com',
      'cognito:groups': ['operator'],
      n: '>>>???',
    };
    const token = `${base64url({ alg: 'RS256' })}.${base64url(claims)}.c2ln`;
    expect(token.split('.')[1]).toMatch(/[-_]/);
    expect(claimsOf(token)).toEqual(claims);
    expect(roleFromGroups(claimsOf(token)['cognito:groups'])).toBe('operator');
  });
});
