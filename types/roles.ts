import * as z from 'zod';

/**
 * Who may do what: viewer reads; operator also starts, cancels, verifies, downloads and trashes backups;
 * admin also manages data sources and schedules, restores, deletes for good and reads the audit log.
 * In AWS each is a Cognito group mapped to an IAM role; locally, the role of the local identity.
 */
export const RoleSchema = z.enum(['viewer', 'operator', 'admin'], { error: 'role must be viewer, operator or admin' });
export type Role = z.infer<typeof RoleSchema>;

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` may do what `needed` may (roles are nested: admin ⊃ operator ⊃ viewer). */
export const roleAllows = (role: Role, needed: Role): boolean => RANK[role] >= RANK[needed];
