import type { AwsCredentialIdentity } from '@smithy/types';
import type { RequestSigner } from '../../../types/apiClient.ts';
import { SIGN_IN_CALLBACK_PATH, type CognitoAuth } from '../../../types/consoleConfig.ts';
import type { Role } from '../../../types/roles.ts';
import { executeApiSigner } from '../../../types/sigV4.ts';
import { awsCredentials, exchangeCode, refreshTokens, type Tokens } from './cognito.ts';
import { claimsOf, roleFromGroups } from './idToken.ts';
import { challengeOf, randomToken } from './pkce.ts';

/** The tokens of this tab's sign-in: sessionStorage only, gone with the tab, never localStorage. */
const TOKENS = 'keepsake.tokens';
/** The PKCE verifier and `state` of a sign-in under way, and where to return after it. */
const PENDING = 'keepsake.signIn';
/** Tokens and credentials are renewed this long before they expire, so no request goes out with stale ones. */
const RENEW_BEFORE_MS = 5 * 60_000;

/** The signed-in person: who, with which role, how their API calls are signed, and how they leave. */
export interface Account {
  readonly name: string;
  readonly role: Role | undefined;
  readonly sign: RequestSigner;
  signOut(): void;
}

export type SignInState =
  | { readonly kind: 'signedIn'; readonly account: Account }
  | { readonly kind: 'signedOut'; readonly problem?: string; signIn(): Promise<void> };

interface Pending {
  readonly verifier: string;
  readonly state: string;
  readonly returnTo: string;
}

const redirectUri = () => `${location.origin}${SIGN_IN_CALLBACK_PATH}`;
const authUrl = (auth: CognitoAuth, path: string, params: Record<string, string>) =>
  `${auth.authDomain.replace(/\/+$/, '')}${path}?${new URLSearchParams(params)}`;
const read = <T>(key: string): T | undefined => JSON.parse(sessionStorage.getItem(key) ?? 'null') ?? undefined;

/** Sends the browser to the hosted UI, which comes back to the callback route with a code for this PKCE challenge. */
async function signIn(auth: CognitoAuth): Promise<void> {
  const pending: Pending = {
    verifier: randomToken(),
    state: randomToken(),
    returnTo: `${location.pathname}${location.search}`,
  };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  location.assign(
    authUrl(auth, '/oauth2/authorize', {
      response_type: 'code',
      client_id: auth.userPoolClientId,
      redirect_uri: redirectUri(),
      scope: 'openid email profile',
      state: pending.state,
      code_challenge: await challengeOf(pending.verifier),
      code_challenge_method: 'S256',
    }),
  );
}

/** Forgets the tokens here and ends the hosted UI's session, which sends the browser back to the console's root. */
function signOut(auth: CognitoAuth): void {
  sessionStorage.removeItem(TOKENS);
  location.assign(authUrl(auth, '/logout', { client_id: auth.userPoolClientId, logout_uri: `${location.origin}/` }));
}

/** On the callback route: checks `state` against the sign-in started here and trades the code for tokens. */
async function finishSignIn(auth: CognitoAuth): Promise<void> {
  const params = new URLSearchParams(location.search);
  const pending = read<Pending>(PENDING);
  sessionStorage.removeItem(PENDING);
  if (params.has('error')) throw new Error(`Sign-in failed: ${params.get('error_description') ?? params.get('error')}`);
  const code = params.get('code');
  if (!pending || !code || params.get('state') !== pending.state)
    throw new Error('This sign-in was not started here (or was already used): sign in again.');
  sessionStorage.setItem(TOKENS, JSON.stringify(await exchangeCode(auth, code, pending.verifier, redirectUri())));
  history.replaceState(null, '', pending.returnTo.startsWith(SIGN_IN_CALLBACK_PATH) ? '/' : pending.returnTo);
}

/**
 * AWS credentials for the API, kept in memory and renewed before they expire: with the ID token while it is
 * valid, else with a new one from the refresh token. A refused refresh ends the sign-in (back to the sign-in page).
 */
function credentialsProvider(auth: CognitoAuth, first: Tokens): () => Promise<AwsCredentialIdentity> {
  let tokens = first;
  let cached:
    { readonly credentials: Promise<AwsCredentialIdentity & { expiration: Date }>; expiresAt: number } | undefined;
  const fresh = async () => {
    if (claimsOf(tokens.idToken).exp * 1000 - Date.now() < RENEW_BEFORE_MS) {
      try {
        tokens = await refreshTokens(auth, tokens);
      } catch (error) {
        sessionStorage.removeItem(TOKENS);
        location.assign('/');
        throw error;
      }
      sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
    }
    return awsCredentials(auth, tokens.idToken);
  };
  return () => {
    if (!cached || cached.expiresAt - Date.now() < RENEW_BEFORE_MS) {
      const entry = { credentials: fresh(), expiresAt: Number.POSITIVE_INFINITY };
      cached = entry;
      entry.credentials.then(
        (credentials) => (entry.expiresAt = credentials.expiration.getTime()),
        () => cached === entry && (cached = undefined),
      );
    }
    return cached.credentials;
  };
}

/**
 * Where a `cognito` console stands before it renders: signed in (tokens in this tab, AWS credentials obtained),
 * or signed out with the reason when a sign-in went wrong. Finishes a sign-in on the callback route.
 */
export async function cognitoSignIn(auth: CognitoAuth, region: string): Promise<SignInState> {
  const signedOut = (problem?: string): SignInState => ({
    kind: 'signedOut',
    ...(problem && { problem }),
    signIn: () => signIn(auth),
  });
  try {
    if (location.pathname === SIGN_IN_CALLBACK_PATH) await finishSignIn(auth);
    const tokens = read<Tokens>(TOKENS);
    if (!tokens) return signedOut();
    const claims = claimsOf(tokens.idToken);
    const role = roleFromGroups(claims['cognito:groups']);
    if (!role) {
      sessionStorage.removeItem(TOKENS);
      return signedOut(
        `${claims.email ?? 'This account'} is in none of the groups viewer, operator or admin: ask a Keepsake admin to add it to one.`,
      );
    }
    const credentials = credentialsProvider(auth, tokens);
    await credentials();
    return {
      kind: 'signedIn',
      account: {
        name: claims.email ?? 'signed in',
        role,
        sign: executeApiSigner({ region, credentials }),
        signOut: () => signOut(auth),
      },
    };
  } catch (error) {
    if (location.pathname === SIGN_IN_CALLBACK_PATH) history.replaceState(null, '', '/');
    return signedOut((error as Error).message);
  }
}
