import { roleAllows, RoleSchema, type Role } from '../../../types/roles.ts';

/** What the console reads from a Cognito ID token. */
export interface IdClaims {
  /** `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`: the identity pool's login key, without the scheme. */
  readonly iss: string;
  /** Expiry, in seconds since the epoch. */
  readonly exp: number;
  readonly email?: string;
  readonly 'cognito:groups'?: readonly string[];
}

/**
 * The claims of a JWT, unverified: the console only shows them and picks its role from them. The identity pool
 * checks the token's signature before handing out credentials, and IAM decides what those may call.
 */
export function claimsOf(token: string): IdClaims {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as IdClaims;
}

/** The widest Keepsake role among a user's Cognito groups (`cognito:groups`), as the identity pool picks it; none without one. */
export function roleFromGroups(groups: readonly string[] | undefined): Role | undefined {
  const roles = (groups ?? []).flatMap((group) => RoleSchema.safeParse(group).data ?? []);
  return roles.reduce<Role | undefined>(
    (widest, role) => (widest === undefined || roleAllows(role, widest) ? role : widest),
    undefined,
  );
}
