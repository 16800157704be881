import * as z from 'zod';
import { RoleSchema } from './roles.ts';

/** The console's route the hosted UI sends people back to with an authorization code (a callback URL of the app client). */
export const SIGN_IN_CALLBACK_PATH = '/auth/callback';

const httpUrl = (name: string) => z.url({ protocol: /^https?$/, error: `${name} must be an http(s) URL` });

/**
 * How the console authenticates its API calls, by `kind`. `cognito`: people sign in on the user pool's hosted UI
 * (authorization code with PKCE), the identity pool trades the ID token for AWS credentials of their group's role,
 * and every call to the AWS_IAM-authorized API is SigV4-signed with those. `local`: local mode's API, which signs
 * nothing, records `principal` as the caller and grants `role`.
 */
export const ConsoleAuthSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('cognito'),
    userPoolId: z.string().min(1, 'userPoolId is required'),
    userPoolClientId: z.string().min(1, 'userPoolClientId is required'),
    identityPoolId: z.string().min(1, 'identityPoolId is required'),
    /** The hosted UI's base URL (`https://{prefix}.auth.{region}.amazoncognito.com`): /oauth2/authorize, /oauth2/token, /logout. */
    authDomain: httpUrl('authDomain'),
    /** Cognito's identity service (`https://cognito-identity.{region}.amazonaws.com`), which GetId and GetCredentialsForIdentity go to. */
    identityEndpoint: httpUrl('identityEndpoint'),
  }),
  z.object({ kind: z.literal('local'), principal: z.string().min(1, 'principal is required'), role: RoleSchema }),
]);
export type CognitoAuth = Extract<z.infer<typeof ConsoleAuthSchema>, { kind: 'cognito' }>;
export type ConsoleAuth = z.infer<typeof ConsoleAuthSchema>;

/**
 * `/config.json`, written next to the console at deploy time (or served by local mode): what one build of the
 * console needs to talk to the deployment it is served from. Unknown fields are dropped rather than refused,
 * so an older console build keeps reading a config that a newer stack extended.
 */
export const ConsoleConfigSchema = z.object({
  /** The API's base URL, e.g. the REST API stage URL `https://{id}.execute-api.{region}.amazonaws.com/prod/`. */
  apiUrl: httpUrl('apiUrl'),
  /** The Region the API and Cognito live in, which SigV4 signs for; local mode says `local`. */
  region: z.string().min(1, 'region is required'),
  auth: ConsoleAuthSchema,
});
export type ConsoleConfig = z.infer<typeof ConsoleConfigSchema>;
