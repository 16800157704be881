import * as z from 'zod';
import { RoleSchema } from './roles.ts';

/**
 * How the console authenticates its API calls, by `kind`. `iam`: the API is AWS_IAM-authorized and the console
 * signs with SigV4 (once sign-in exists, a `cognito` kind carrying the user pool and identity pool ids joins
 * this union). `local`: local mode's API, which signs nothing, records `principal` as the caller and grants `role`.
 */
export const ConsoleAuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('iam') }),
  z.object({ kind: z.literal('local'), principal: z.string().min(1, 'principal is required'), role: RoleSchema }),
]);
export type ConsoleAuth = z.infer<typeof ConsoleAuthSchema>;

/**
 * `/config.json`, written next to the console at deploy time (or served by local mode): what one build of the
 * console needs to talk to the deployment it is served from. Unknown fields are dropped rather than refused,
 * so an older console build keeps reading a config that a newer stack extended.
 */
export const ConsoleConfigSchema = z.object({
  /** The API's base URL, e.g. the REST API stage URL `https://{id}.execute-api.{region}.amazonaws.com/prod/`. */
  apiUrl: z.url({ protocol: /^https?$/, error: 'apiUrl must be an http(s) URL' }),
  /** The Region the API (and, later, Cognito) lives in, which SigV4 signs for; local mode says `local`. */
  region: z.string().min(1, 'region is required'),
  auth: ConsoleAuthSchema,
});
export type ConsoleConfig = z.infer<typeof ConsoleConfigSchema>;
