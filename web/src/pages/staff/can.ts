import { useMe, type Role } from '../../auth/SessionProvider';

// What staff may change, by the operation's id in the API's contract. The roles are the contract's
// x-roles for that operation (a unit test holds this table to api/openapi.yaml). A control for an
// action the signed-in role may not take is not rendered at all: support sees the same pages as an
// admin, read-only, and the API refuses the action anyway.
const allowed = {
  createStaff: ['admin'],
  changeRole: ['admin'],
  disableUser: ['admin'],
  enableUser: ['admin'],
  unlockLogin: ['support', 'admin'],
  resendWelcome: ['support', 'admin'],
  freezeAccount: ['admin'],
  unfreezeAccount: ['admin'],
  createDeposit: ['admin'],
  createWithdrawal: ['admin'],
  listCashApprovals: ['admin'],
  approveCashApproval: ['admin'],
  rejectCashApproval: ['admin'],
  checkLedger: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type StaffAction = keyof typeof allowed;

export const staffActions = allowed as Record<StaffAction, readonly Role[]>;

export function can(role: Role, action: StaffAction): boolean {
  return staffActions[action].includes(role);
}

// useCan answers whether the signed-in user may take an action.
export function useCan(): (action: StaffAction) => boolean {
  const me = useMe();
  return (action) => can(me.role, action);
}
