import { describe, expect, it } from 'vitest';
import { challengeOf, randomToken } from '../../../web/src/auth/pkce.ts';

describe('PKCE for the hosted UI sign-in', () => {
  it('derives the S256 challenge of the RFC 7636 appendix B example', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes verifiers of 43 unreserved characters (32 random bytes), a new one each time', () => {
    const verifiers = Array.from({ length: 20 }, randomToken);
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(verifiers).size).toBe(verifiers.length);
  });
});
