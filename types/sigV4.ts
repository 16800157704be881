import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import type { RequestSigner } from './apiClient.ts';

const bytes = (data: SourceData): Uint8Array<ArrayBuffer> => {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  const view = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
  return new Uint8Array(view);
};

/** SHA-256 (HMAC-SHA-256 when given a secret) from WebCrypto, the same in a browser and in Node, in the shape the signer expects. */
class WebCryptoSha256 implements Checksum {
  private chunks: Uint8Array<ArrayBuffer>[] = [];

  constructor(private readonly secret?: SourceData) {}

  update(data: SourceData): void {
    this.chunks.push(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    const data = new Uint8Array(this.chunks.reduce((length, chunk) => length + chunk.length, 0));
    this.chunks.reduce((offset, chunk) => (data.set(chunk, offset), offset + chunk.length), 0);
    if (this.secret === undefined) return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    const key = await crypto.subtle.importKey('raw', bytes(this.secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
  }

  reset(): void {
    this.chunks = [];
  }
}

/**
 * Signs requests to the Keepsake API with SigV4 for API Gateway's AWS_IAM authorizer (service `execute-api`), with
 * `credentials` (fixed, or a provider asked before every request, so it can refresh them). Shared by the CLI and the
 * console. The signed `host` is the URL's; it is not set on the request, which browsers forbid and fetch adds.
 */
export function executeApiSigner(options: {
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}): RequestSigner {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: WebCryptoSha256,
  });
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
