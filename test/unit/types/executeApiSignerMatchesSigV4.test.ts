import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { executeApiSigner } from '../../../types/sigV4.ts';
import { sigV4Authorization, verifySigV4, type SigV4Request } from '../../support/sigV4.ts';

/** AWS's SigV4 test suite: credentials, date and the get-vanilla family of requests to example.amazonaws.com. */
const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
  amzDate: '20150830T123600Z',
};
const suiteRequest = (method: string, query = ''): SigV4Request => ({
  method,
  path: '/',
  query,
  headers: { host: 'example.amazonaws.com', 'x-amz-date': SUITE.amzDate },
  body: '',
});

const CREDENTIALS = {
  accessKeyId: 'ASIAFAKEKEY',
  secretAccessKey: 'fake/secret+key',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE//token=',
};
const NOW = new Date('2026-11-23T09:30:15Z');

/** The parts of a fetch Request that SigV4 covers, as the wire carries them (host from the URL). */
async function wire(request: Request): Promise<SigV4Request> {
  const url = new URL(request.url);
  const headers: Record<string, string> = { host: url.host };
  request.headers.forEach((value, key) => (headers[key] = value));
  return {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    body: await request.clone().text(),
  };
}

describe('the independent SigV4 reference (test/support/sigV4.ts)', () => {
  it("reproduces AWS's published test-suite signatures", () => {
    const signedHeaders = ['host', 'x-amz-date'];
    const signature = (request: SigV4Request) =>
      /Signature=(\w+)$/.exec(sigV4Authorization(request, { ...SUITE, signedHeaders }))?.[1];
    expect(sigV4Authorization(suiteRequest('GET'), { ...SUITE, signedHeaders })).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(signature(suiteRequest('POST'))).toBe('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
    expect(signature(suiteRequest('GET', 'Param2=value2&Param1=value1'))).toBe(
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    );
  });
});

describe('the console and CLI request signer (types/sigV4.ts)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  const sign = executeApiSigner({ region: 'eu-west-1', credentials: CREDENTIALS });
  const post = () =>
    new Request('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/data-sources/demo%20db/backups?b=2&a=1', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ trigger: 'manual' }),
    });

  it('signs for execute-api with the Authorization header an independent computation gives, session token included', async () => {
    const signed = await sign(post());
    const request = await wire(signed);
    expect(request.headers['x-amz-date']).toBe('20261123T093015Z');
    expect(request.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(request.headers.authorization ?? '')?.[1]?.split(';') ?? [];
    expect(signedHeaders).toEqual(
      expect.arrayContaining(['accept', 'content-type', 'host', 'x-amz-date', 'x-amz-security-token']),
    );
    expect(request.headers.authorization).toBe(
      sigV4Authorization(request, {
        ...CREDENTIALS,
        region: 'eu-west-1',
        service: 'execute-api',
        amzDate: '20261123T093015Z',
        signedHeaders,
      }),
    );
    // Never a host header on the request itself: browsers forbid it and fetch sets it from the URL.
    expect(signed.headers.has('host')).toBe(false);
    expect(await signed.text()).toBe('{"trigger":"manual"}');
  });

  it('gives a signature the verifier accepts, and refuses once the path, the body or the key differ', async () => {
    const keyOf = (id: string) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS : undefined);
    const verify = (request: SigV4Request) =>
      verifySigV4(request, { region: 'eu-west-1', service: 'execute-api', keyOf, now: NOW });
    const request = await wire(await sign(post()));
    expect(verify(request)).toEqual({ ok: true, accessKeyId: CREDENTIALS.accessKeyId });
    expect(verify({ ...request, path: '/prod/v1/data-sources/other/backups' })).toMatchObject({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verify({ ...request, body: '{"trigger":"api"}' })).toMatchObject({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verify({ ...request, headers: { ...request.headers, authorization: '' } })).toMatchObject({ ok: false });
    expect(
      verifySigV4(request, {
        region: 'eu-west-1',
        service: 'execute-api',
        keyOf: () => ({ ...CREDENTIALS, secretAccessKey: 'other' }),
        now: NOW,
      }),
    ).toMatchObject({ ok: false });
  });

  it('asks a credentials provider before each request, so refreshed credentials are used as soon as they exist', async () => {
    let current = CREDENTIALS;
    const refreshing = executeApiSigner({ region: 'eu-west-1', credentials: async () => current });
    const first = await wire(await refreshing(post()));
    current = { accessKeyId: 'ASIANEWKEY', secretAccessKey: 'new-secret', sessionToken: 'new-token' };
    const second = await wire(await refreshing(post()));
    expect(first.headers.authorization).toContain('Credential=ASIAFAKEKEY/');
    expect(second.headers.authorization).toContain('Credential=ASIANEWKEY/');
    expect(second.headers['x-amz-security-token']).toBe('new-token');
  });
});
