// Who is logged in, and what they may do. The server is the authority (every request is checked
// there); the UI only hides what the caller may not use.
import { createContext, useContext } from './lib.js';

export const SessionContext = createContext(null);

export function useSession() {
  return useContext(SessionContext);
}

/** Platform operator: super_admin outside any tenant. */
export function isOperator(session) {
  return !!session && session.role === 'super_admin' && !session.tenant;
}

/** May the session use `perm`? Impersonation tokens are read-only whatever their role says. */
export function can(session, perm) {
  if (!session || !perm) return false;
  const perms = session.permissions || [];
  const write = !perm.endsWith(':read');
  if (write && session.readOnly) return false;
  if (perm.startsWith('platform:')) return perms.includes('platform:*');
  return perms.includes(perm);
}
