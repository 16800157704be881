import { describe, expect, it } from 'vitest';
import { REQUIRED_ROLE } from '../../../functions/roles.ts';
import { apiRoutes } from '../../../functions/routes.ts';
import { roleAllows } from '../../../types/roles.ts';

describe('the role each API operation needs', () => {
  it('lets a viewer read everything but downloads, the audit log and what a restore would overwrite, and change nothing', () => {
    for (const route of apiRoutes) {
      const needed = REQUIRED_ROLE[route.operation];
      if (route.method !== 'GET')
        expect({ operation: route.operation, viewer: roleAllows('viewer', needed) }).toEqual({
          operation: route.operation,
          viewer: false,
        });
      else if (route.operation === 'getDownloadUrl') expect(needed).toBe('operator');
      else if (route.operation === 'listAudit' || route.operation === 'inspectDatabase') expect(needed).toBe('admin');
      else expect({ operation: route.operation, needed }).toEqual({ operation: route.operation, needed: 'viewer' });
    }
  });

  it('keeps configuration, restores and permanent deletion for admins', () => {
    const adminOnly = apiRoutes
      .filter((r) => REQUIRED_ROLE[r.operation] === 'admin')
      .map((r) => r.operation)
      .sort();
    expect(adminOnly).toEqual(
      [
        'createDataSource',
        'createRestore',
        'createSchedule',
        'deleteBackup',
        'deleteDataSource',
        'deleteSchedule',
        'disableDataSource',
        'enableDataSource',
        'inspectDatabase',
        'listAudit',
        'pauseSchedule',
        'resumeSchedule',
        'rollbackRestore',
        'testConnectionSettings',
        'updateDataSource',
        'updateSchedule',
      ].sort(),
    );
  });

  it('nests the roles: admin may do all an operator may, an operator all a viewer may', () => {
    expect(roleAllows('admin', 'operator') && roleAllows('operator', 'viewer') && roleAllows('admin', 'viewer')).toBe(
      true,
    );
    expect(roleAllows('viewer', 'operator') || roleAllows('operator', 'admin')).toBe(false);
  });
});
