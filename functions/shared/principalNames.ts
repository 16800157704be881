import {
  AdminGetUserCommand,
  UserNotFoundException,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { cognitoSubOf } from '../../types/audit.ts';
import { logger } from './logger.ts';

/** How long a looked-up name is reused: a changed e-mail address shows within minutes, and paging costs no lookups. */
export const NAME_TTL_MS = 5 * 60_000;

/** Display names of principals (console users' e-mail addresses); a principal it cannot name is not in the map. */
export type PrincipalNames = (principals: readonly string[]) => Promise<ReadonlyMap<string, string>>;

/** Names nobody: local mode and tests, which have no user pool. */
export const noPrincipalNames: PrincipalNames = () => Promise.resolve(new Map());

/**
 * Names console users (`cognito:<sub>`) by the e-mail address of their user in `userPoolId`: AdminGetUser with
 * the sub as Username, which the pool accepts since e-mail is its username attribute. The distinct users of a call
 * are looked up in parallel, each answer is kept in this container's memory for {@link NAME_TTL_MS}, and a lookup
 * that fails leaves that person unnamed rather than failing the call: a deleted user stays unnamed until the entry
 * expires, other errors (throttling) are tried again on the next call. Each lookup counts the user as active this
 * month for Cognito's billing.
 */
export function cognitoPrincipalNames(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  now: () => number = Date.now,
): PrincipalNames {
  const cache = new Map<string, { readonly email: Promise<string | undefined>; readonly until: number }>();

  function emailOf(sub: string): Promise<string | undefined> {
    const cached = cache.get(sub);
    if (cached && cached.until > now()) return cached.email;
    const email: Promise<string | undefined> = client
      .send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: sub }))
      .then(
        (user) => user.UserAttributes?.find((attribute) => attribute.Name === 'email')?.Value,
        (error: unknown) => {
          if (!(error instanceof UserNotFoundException) && cache.get(sub)?.email === email) cache.delete(sub);
          logger.warn('could not name a console user', {
            sub,
            error: error instanceof Error ? error.name : String(error),
          });
          return undefined;
        },
      );
    cache.set(sub, { email, until: now() + NAME_TTL_MS });
    return email;
  }

  return async (principals) => {
    const users = [...new Set(principals)].flatMap((principal) => {
      const sub = cognitoSubOf(principal);
      return sub === undefined ? [] : [{ principal, sub }];
    });
    const named = await Promise.all(
      users.map(async ({ principal, sub }) => ({ principal, email: await emailOf(sub) })),
    );
    return new Map(named.flatMap(({ principal, email }) => (email === undefined ? [] : [[principal, email] as const])));
  };
}

/** `USER_POOL_ID` (set by the Api construct in AWS) selects the user pool; without it nobody is named. */
export function principalNamesFromEnv(
  client: CognitoIdentityProviderClient,
  env: NodeJS.ProcessEnv = process.env,
): PrincipalNames {
  return env.USER_POOL_ID ? cognitoPrincipalNames(client, env.USER_POOL_ID) : noPrincipalNames;
}

/** Each of `items` with `key` set to its principal's name where `names` could name it (`principalOf` reads the principal). */
export async function withNames<T extends object, K extends string>(
  items: readonly T[],
  principalOf: (item: T) => string,
  names: PrincipalNames,
  key: K,
): Promise<(T & Partial<Record<K, string>>)[]> {
  const known = await names(items.map(principalOf));
  return items.map((item) => {
    const name = known.get(principalOf(item));
    return (name === undefined ? item : { ...item, [key]: name }) as T & Partial<Record<K, string>>;
  });
}
