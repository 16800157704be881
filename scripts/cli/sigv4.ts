import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { RequestSigner } from '../../types/apiClient.ts';

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' || data instanceof Uint8Array ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** SHA-256 (HMAC-SHA-256 when given a secret) from node:crypto, in the shape the signer expects. */
class Sha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }

  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    throw new Error('not supported');
  }
}

/** The region of an API Gateway URL (`https://{id}.execute-api.{region}.amazonaws.com/...`), else AWS_REGION. */
export function regionOf(url: URL, env: NodeJS.ProcessEnv = process.env): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname);
  const region = match?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`cannot tell the region of ${url.origin}: set AWS_REGION`);
  return region;
}

/**
 * Signs API requests with SigV4 for API Gateway's AWS_IAM authorizer, with credentials from the standard chain
 * (environment, ~/.aws profiles, SSO, instance or task role), as the AWS CLI finds them.
 */
export function sigV4Signer(apiUrl: string): RequestSigner {
  const url = new URL(apiUrl);
  const signer = new SignatureV4({ service: 'execute-api', region: regionOf(url), credentials: defaultProvider(), sha256: Sha256 });
  return async (request) => {
    const target = new URL(request.url);
    const body = request.body ? await request.text() : undefined;
    const headers: Record<string, string> = { host: target.host };
    request.headers.forEach((value, key) => (headers[key] = value));
    const signed = await signer.sign({
      method: request.method,
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port && { port: Number(target.port) }),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers,
      ...(body !== undefined && { body }),
    });
    const out = new Headers();
    for (const [key, value] of Object.entries(signed.headers)) if (key !== 'host') out.set(key, String(value));
    return new Request(request.url, { method: request.method, headers: out, ...(body !== undefined && { body }) });
  };
}
