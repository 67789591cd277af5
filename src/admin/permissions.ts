import type { OrgDirectory } from '../org/directory.ts';

/** admin: may change things; reader: a human of the org, may look; stranger: anyone else, refused. */
export type Role = 'admin' | 'reader' | 'stranger';

/** Room power from which a human of the org counts as an admin (moderator and up, as bridges do). */
export const ADMIN_POWER_LEVEL = 50;

/**
 * Who may do what in #fleet-admin, after matrix-appservice-irc's permission map: the CEO (the org's root) and
 * config org.admins administer; humans of the org with power ≥ 50 in the room too; other humans of the org read;
 * strangers (and agents) get nothing.
 */
export function roleOf(org: OrgDirectory, admins: ReadonlySet<string>, userId: string, powerLevel?: number): Role {
  const person = org.get(userId);
  if (!person?.human) return 'stranger';
  if (person.reportsTo === null || admins.has(userId) || (powerLevel ?? 0) >= ADMIN_POWER_LEVEL) return 'admin';
  return 'reader';
}
