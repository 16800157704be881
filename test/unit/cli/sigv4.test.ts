import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { regionOf, sigV4Signer } from '../../../scripts/cli/sigv4.ts';

describe('SigV4 signing for a deployed API', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'eu-west-1',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('takes the region from an execute-api host, else from AWS_REGION, else says what to set', () => {
    expect(regionOf(new URL('https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod'), {})).toBe(
      'ap-southeast-2',
    );
    expect(regionOf(new URL('https://backups.example.com'), { AWS_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(() => regionOf(new URL('https://backups.example.com'), {})).toThrow('set AWS_REGION');
  });

  it('signs for execute-api in the API region with the chain credentials, and keeps method, URL and body', async () => {
    const sign = sigV4Signer('https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod');
    const body = JSON.stringify({ trigger: 'api' });
    const request = new Request(
      'https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod/v1/data-sources/s1/backups?x=1',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      },
    );
    const signed = await sign(request);
    const authorization = signed.headers.get('authorization') ?? '';
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/ap-southeast-2\/execute-api\/aws4_request, /,
    );
    expect(authorization).toMatch(
      /SignedHeaders=[^,]*content-type;host;x-amz-content-sha256;x-amz-date|SignedHeaders=[^,]*content-type;host;x-amz-date/,
    );
    expect(authorization).toMatch(/Signature=[0-9a-f]{64}$/);
    expect(signed.headers.get('x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(signed.method).toBe('POST');
    expect(signed.url).toBe(request.url);
    expect(await signed.text()).toBe(body);
  });

  it('gives a different signature when the body differs (the body is signed)', async () => {
    const sign = sigV4Signer('https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod');
    const signatureOf = async (body: string) => {
      const signed = await sign(
        new Request('https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod/v1/restores', {
          method: 'POST',
          body,
        }),
      );
      return /Signature=(\w+)/.exec(signed.headers.get('authorization') ?? '')?.[1];
    };
    const [a, b] = await Promise.all([signatureOf('{"a":1}'), signatureOf('{"a":2}')]);
    expect(a).toBeDefined();
    expect(a).not.toBe(b);
  });
});
