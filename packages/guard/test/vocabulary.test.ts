import { PERMISSION_ACTIONS } from '@ax/audit';
import { PermissionCatalog } from '@ax/rbac';
import { expect, it } from 'vitest';

// The guard records `<permission>.started|completed|failed|denied`: the audit catalogue must know every
// permission rbac ships, and no other spelling. @ax/audit keeps its own copy (it does not depend on @ax/rbac);
// this is where the two meet, so this is where they are held equal.
it('the audit action vocabulary is exactly the built-in permission vocabulary', () => {
  const permissions = PermissionCatalog.builtin()
    .permissions()
    .filter((p) => p !== '*');
  expect([...PERMISSION_ACTIONS].sort()).toEqual([...permissions].sort());
});
