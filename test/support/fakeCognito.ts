import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { roleFromGroups } from '../../web/src/auth/idToken.ts';
import type { Role } from '../../types/roles.ts';

export const FAKE_REGION = 'eu-west-1';
export const FAKE_USER_POOL_ID = `${FAKE_REGION}_Fake`;
export const FAKE_CLIENT_ID = 'keepsake-console-client';
export const FAKE_IDENTITY_POOL_ID = `${FAKE_REGION}:00000000-0000-4000-8000-000000000000`;
const ISSUER = `https://cognito-idp.${FAKE_REGION}.amazonaws.com/${FAKE_USER_POOL_ID}`;

export interface FakeUser {
  readonly email: string;
  readonly groups: readonly string[];
}

/** AWS credentials the fake identity pool handed out, with the role of the group they were mapped from. */
export interface IssuedCredentials {
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly role: Role;
  readonly email: string;
}

export interface FakeCognito {
  readonly url: string;
  /** Who the hosted UI signs in next (the fake has no login form: as if the person had typed their password). */
  user: FakeUser;
  /** How long ID tokens and AWS credentials it hands out from now on last, in seconds (Cognito's: an hour). */
  lifetimeSeconds: number;
  /** Every access key handed out by GetCredentialsForIdentity. */
  readonly credentials: Map<string, IssuedCredentials>;
  /** What the console called, in order: `authorize`, `token:authorization_code`, `GetId`, `logout`, … */
  readonly calls: string[];
  close(): Promise<void>;
}

const token = () => randomBytes(24).toString('base64url');
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Cognito's endpoints answer CORS requests from any origin. */
function answer(response: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  response.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' }).end(JSON.stringify(body));
}

/**
 * The three Cognito endpoints the console uses, faked on one local server: the hosted UI's /oauth2/authorize
 * (signs in `user` and redirects back with a code for the PKCE challenge), /oauth2/token (checks the verifier
 * against it; refresh tokens too) and /logout, and the identity service (GetId, GetCredentialsForIdentity) mapping
 * the ID token's widest group to a role, as `cognito:preferred_role` does, with new random credentials.
 */
export async function startFakeCognito(consoleOrigin: () => string): Promise<FakeCognito> {
  const codes = new Map<string, { challenge: string; redirectUri: string; user: FakeUser }>();
  const refreshTokens = new Map<string, FakeUser>();
  const idTokens = new Map<string, FakeUser>();
  const fake: Omit<FakeCognito, 'url' | 'close'> = {
    user: { email: 'nobody@example.com', groups: [] },
    lifetimeSeconds: 3600,
    credentials: new Map(),
    calls: [],
  };

  const idTokenFor = (user: FakeUser) => {
    const claims = {
      iss: ISSUER,
      aud: FAKE_CLIENT_ID,
      token_use: 'id',
      sub: createHash('sha256').update(user.email).digest('hex').slice(0, 32),
      email: user.email,
      'cognito:groups': user.groups,
      exp: Math.floor(Date.now() / 1000) + fake.lifetimeSeconds,
    };
    const id = `${base64url({ alg: 'RS256', kid: 'fake' })}.${base64url(claims)}.${token()}`;
    idTokens.set(id, user);
    return id;
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (request.method === 'OPTIONS') {
      response
        .writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-headers': 'content-type,x-amz-target',
          'access-control-allow-methods': 'POST',
        })
        .end();
      return;
    }
    if (url.pathname === '/oauth2/authorize') {
      fake.calls.push('authorize');
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const challenge = url.searchParams.get('code_challenge') ?? '';
      const valid =
        url.searchParams.get('client_id') === FAKE_CLIENT_ID &&
        url.searchParams.get('response_type') === 'code' &&
        url.searchParams.get('code_challenge_method') === 'S256' &&
        /^[A-Za-z0-9_-]{43}$/.test(challenge) &&
        redirectUri === `${consoleOrigin()}/auth/callback`;
      if (!valid) return answer(response, 400, { error: 'invalid_request', url: url.href });
      const code = token();
      codes.set(code, { challenge, redirectUri, user: fake.user });
      response
        .writeHead(302, {
          location: `${redirectUri}?${new URLSearchParams({ code, state: url.searchParams.get('state') ?? '' })}`,
        })
        .end();
      return;
    }
    if (url.pathname === '/oauth2/token' && request.method === 'POST') {
      const form = new URLSearchParams(await bodyOf(request));
      const grant = form.get('grant_type') ?? '';
      fake.calls.push(`token:${grant}`);
      if (form.get('client_id') !== FAKE_CLIENT_ID) return answer(response, 400, { error: 'invalid_client' });
      if (grant === 'authorization_code') {
        const issued = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (
          !issued ||
          issued.redirectUri !== form.get('redirect_uri') ||
          createHash('sha256').update(verifier).digest('base64url') !== issued.challenge
        ) {
          return answer(response, 400, { error: 'invalid_grant' });
        }
        const refresh = token();
        refreshTokens.set(refresh, issued.user);
        return answer(response, 200, {
          id_token: idTokenFor(issued.user),
          access_token: token(),
          refresh_token: refresh,
          expires_in: 3600,
          token_type: 'Bearer',
        });
      }
      const user = grant === 'refresh_token' ? refreshTokens.get(form.get('refresh_token') ?? '') : undefined;
      if (!user) return answer(response, 400, { error: 'invalid_grant' });
      return answer(response, 200, {
        id_token: idTokenFor(user),
        access_token: token(),
        expires_in: 3600,
        token_type: 'Bearer',
      });
    }
    if (url.pathname === '/logout') {
      fake.calls.push('logout');
      if (url.searchParams.get('client_id') !== FAKE_CLIENT_ID)
        return answer(response, 400, { error: 'invalid_client' });
      response.writeHead(302, { location: url.searchParams.get('logout_uri') ?? '/' }).end();
      return;
    }
    if (url.pathname === '/' && request.method === 'POST') {
      const action = (request.headers['x-amz-target'] ?? '').toString().replace('AWSCognitoIdentityService.', '');
      fake.calls.push(action);
      const body = JSON.parse(await bodyOf(request)) as {
        IdentityPoolId?: string;
        IdentityId?: string;
        Logins?: Record<string, string>;
      };
      const user = idTokens.get(body.Logins?.[ISSUER.replace('https://', '')] ?? '');
      const refuse = (message: string) =>
        answer(response, 400, { __type: 'NotAuthorizedException', message }, 'application/x-amz-json-1.1');
      if (!user) return refuse('Invalid login token.');
      const identityId = `${FAKE_REGION}:${createHash('sha256').update(user.email).digest('hex').slice(0, 32)}`;
      if (action === 'GetId')
        return body.IdentityPoolId === FAKE_IDENTITY_POOL_ID
          ? answer(response, 200, { IdentityId: identityId })
          : refuse('no such identity pool');
      if (action === 'GetCredentialsForIdentity') {
        const role = roleFromGroups(user.groups);
        if (body.IdentityId !== identityId || !role) return refuse('Ambiguous role mapping rules for: cognito-idp');
        const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
        const issued = { secretAccessKey: token(), sessionToken: token(), role, email: user.email };
        fake.credentials.set(accessKeyId, issued);
        const expiration = Math.floor(Date.now() / 1000) + fake.lifetimeSeconds;
        return answer(response, 200, {
          IdentityId: identityId,
          Credentials: {
            AccessKeyId: accessKeyId,
            SecretKey: issued.secretAccessKey,
            SessionToken: issued.sessionToken,
            Expiration: expiration,
          },
        });
      }
    }
    answer(response, 404, { error: `the fake Cognito has no ${request.method} ${url.pathname}` });
  }

  const server = createServer(
    (request, response) =>
      void serve(request, response).catch((error: unknown) => answer(response, 500, { error: String(error) })),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  });
}
