import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import contract from '../../../../api/openapi.yaml?raw';
import { can, staffActions, type StaffAction } from './can';

interface Operation {
  operationId?: string;
  'x-roles'?: string[];
}

function rolesByOperation(): Map<string, string[]> {
  const doc = parse(contract) as { paths: Record<string, Record<string, Operation>> };
  const out = new Map<string, string[]>();
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      if (op && typeof op === 'object' && op.operationId) out.set(op.operationId, op['x-roles'] ?? []);
    }
  }
  return out;
}

describe('staff actions', () => {
  const roles = rolesByOperation();
  it.each(Object.keys(staffActions) as StaffAction[])('%s is allowed to the roles of its x-roles', (action) => {
    const documented = roles.get(action);
    expect(documented, `${action} is an operation of the contract`).toBeDefined();
    const staffRoles = documented!.filter((r) => r === 'support' || r === 'admin').sort();
    expect([...staffActions[action]].sort()).toEqual(staffRoles);
  });
  it('leaves support read-only but for unlocking logins and resending welcome emails', () => {
    const support = (Object.keys(staffActions) as StaffAction[]).filter((a) => can('support', a)).sort();
    expect(support).toEqual(['resendWelcome', 'unlockLogin']);
  });
  it('gives clients nothing', () => {
    expect((Object.keys(staffActions) as StaffAction[]).some((a) => can('client', a))).toBe(false);
  });
});
