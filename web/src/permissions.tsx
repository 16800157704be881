import { createContext, useContext, type ReactNode } from 'react';
import { REQUIRED_ROLE } from '../../functions/roles.ts';
import type { Operation } from '../../functions/routes.ts';
import { roleAllows, type Role } from '../../types/roles.ts';

const RoleContext = createContext<Role | undefined>(undefined);

/** The signed-in role; undefined when the deployment does not say (the API still refuses what is not allowed). */
export function RoleProvider({ role, children }: { role: Role | undefined; children: ReactNode }) {
  return <RoleContext.Provider value={role}>{children}</RoleContext.Provider>;
}

/** Whether the person may do `operation`: the console hides what the API would refuse (functions/roles.ts). */
export function useCan(): (operation: Operation) => boolean {
  const role = useContext(RoleContext);
  return (operation) => role === undefined || roleAllows(role, REQUIRED_ROLE[operation]);
}
