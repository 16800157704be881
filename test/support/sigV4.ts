import { createHash, createHmac } from 'node:crypto';

/**
 * SigV4 computed from AWS's specification with node:crypto alone, independent of @smithy/signature-v4 (which the
 * console and the CLI sign with): to check their signatures and, in the browser tests, to verify requests as API
 * Gateway's AWS_IAM authorizer does. Canonical URI as for every service but S3: each segment of the path as sent
 * is URI-encoded again.
 */
export interface SigV4Request {
  readonly method: string;
  /** The path as sent on the wire (percent-encoded), and the query string without `?`. */
  readonly path: string;
  readonly query: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SigV4Scope {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
  /** `YYYYMMDDTHHMMSSZ`, as in x-amz-date. */
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const encode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(query: string): string {
  const pairs = [...new URLSearchParams(query)].map(([k, v]) => [encode(k), encode(v)] as const);
  return pairs
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** The hex signature of `request` for `scope` (the Authorization header's `Signature=`). */
export function sigV4Signature(request: SigV4Request, scope: SigV4Scope): string {
  const names = [...scope.signedHeaders].sort();
  const canonicalRequest = [
    request.method,
    request.path.split('/').map(encode).join('/'),
    canonicalQuery(request.query),
    ...names.map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    names.join(';'),
    sha256(request.body),
  ].join('\n');
  const day = scope.amzDate.slice(0, 8);
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', scope.amzDate, credentialScope, sha256(canonicalRequest)].join('\n');
  const key = [day, scope.region, scope.service, 'aws4_request'].reduce<string | Buffer>(
    (k, part) => hmac(k, part),
    `AWS4${scope.secretAccessKey}`,
  );
  return hmac(key, stringToSign).toString('hex');
}

/** The `Authorization` header value for `request` signed with `scope`. */
export const sigV4Authorization = (request: SigV4Request, scope: SigV4Scope): string =>
  `AWS4-HMAC-SHA256 Credential=${scope.accessKeyId}/${scope.amzDate.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request, SignedHeaders=${[...scope.signedHeaders].sort().join(';')}, Signature=${sigV4Signature(request, scope)}`;

export type Verdict =
  { readonly ok: true; readonly accessKeyId: string } | { readonly ok: false; readonly reason: string };

/**
 * Checks a request's SigV4 signature as API Gateway does: the scope names this Region and service, host and
 * x-amz-date are signed, the date is within 15 minutes, the key is known (with its session token) and the
 * signature matches the one computed with its secret.
 */
export function verifySigV4(
  request: SigV4Request,
  expected: {
    readonly region: string;
    readonly service: string;
    readonly keyOf: (accessKeyId: string) => { secretAccessKey: string; sessionToken: string } | undefined;
    readonly now?: Date;
  },
): Verdict {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      request.headers.authorization ?? '',
    );
  if (!match) return { ok: false, reason: 'missing or malformed Authorization' };
  const [, accessKeyId = '', day, region, service, signedList = '', signature] = match;
  const signedHeaders = signedList.split(';');
  const amzDate = request.headers['x-amz-date'] ?? '';
  if (region !== expected.region || service !== expected.service)
    return { ok: false, reason: `scope ${region}/${service}` };
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date') || amzDate.slice(0, 8) !== day)
    return { ok: false, reason: 'host or date not signed' };
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!(Math.abs((expected.now ?? new Date()).getTime() - signedAt) < 15 * 60_000))
    return { ok: false, reason: 'stale or missing x-amz-date' };
  const key = expected.keyOf(accessKeyId);
  if (!key) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (request.headers['x-amz-security-token'] !== key.sessionToken || !signedHeaders.includes('x-amz-security-token'))
    return { ok: false, reason: 'session token missing or unsigned' };
  const computed = sigV4Signature(request, {
    accessKeyId,
    secretAccessKey: key.secretAccessKey,
    region,
    service,
    amzDate,
    signedHeaders,
  });
  return computed === signature ? { ok: true, accessKeyId } : { ok: false, reason: 'signature does not match' };
}
