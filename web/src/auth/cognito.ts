import type { AwsCredentialIdentity } from '@smithy/types';
import type { CognitoAuth } from '../../../types/consoleConfig.ts';
import { claimsOf } from './idToken.ts';

/** What the console keeps of a sign-in (in the tab's sessionStorage): the access token is never needed. */
export interface Tokens {
  readonly idToken: string;
  readonly refreshToken: string;
}

async function tokenEndpoint(
  auth: CognitoAuth,
  params: Record<string, string>,
): Promise<{ id_token: string; refresh_token?: string }> {
  const response = await fetch(`${auth.authDomain.replace(/\/+$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: auth.userPoolClientId, ...params }),
  });
  const answer = (await response.json().catch(() => ({}))) as {
    id_token?: string;
    refresh_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!response.ok || !answer.id_token)
    throw new Error(
      `Cognito refused the sign-in (${answer.error_description ?? answer.error ?? `HTTP ${response.status}`})`,
    );
  return { id_token: answer.id_token, ...(answer.refresh_token && { refresh_token: answer.refresh_token }) };
}

/** Trades the authorization code the hosted UI sent back, with the PKCE verifier it was asked for, for tokens. */
export async function exchangeCode(
  auth: CognitoAuth,
  code: string,
  verifier: string,
  redirectUri: string,
): Promise<Tokens> {
  const answer = await tokenEndpoint(auth, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
  });
  if (!answer.refresh_token) throw new Error('Cognito answered without a refresh token');
  return { idToken: answer.id_token, refreshToken: answer.refresh_token };
}

/** A new ID token for the refresh token (and a new refresh token, when the app client rotates them). */
export async function refreshTokens(auth: CognitoAuth, tokens: Tokens): Promise<Tokens> {
  const answer = await tokenEndpoint(auth, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
  return { idToken: answer.id_token, refreshToken: answer.refresh_token ?? tokens.refreshToken };
}

async function identityService<T>(auth: CognitoAuth, action: string, body: unknown): Promise<T> {
  const response = await fetch(auth.identityEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${action}` },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as T & { message?: string; __type?: string };
  if (!response.ok)
    throw new Error(`Cognito ${action} failed: ${answer.message ?? answer.__type ?? `HTTP ${response.status}`}`);
  return answer;
}

/**
 * AWS credentials of the identity pool's role for the user of `idToken` (the role of their widest group):
 * GetId, then GetCredentialsForIdentity, both with the ID token as the user pool's login. No SDK: two JSON calls.
 */
export async function awsCredentials(
  auth: CognitoAuth,
  idToken: string,
): Promise<AwsCredentialIdentity & { readonly expiration: Date }> {
  const logins = { [claimsOf(idToken).iss.replace(/^https:\/\//, '')]: idToken };
  const { IdentityId } = await identityService<{ IdentityId: string }>(auth, 'GetId', {
    IdentityPoolId: auth.identityPoolId,
    Logins: logins,
  });
  const { Credentials } = await identityService<{
    Credentials: { AccessKeyId: string; SecretKey: string; SessionToken: string; Expiration: number };
  }>(auth, 'GetCredentialsForIdentity', { IdentityId, Logins: logins });
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretKey,
    sessionToken: Credentials.SessionToken,
    expiration: new Date(Credentials.Expiration * 1000),
  };
}
