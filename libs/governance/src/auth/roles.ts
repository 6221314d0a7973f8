/** What a machine client may do; a client holds one or more. */
export const ROLES = ['marketing', 'it-operator', 'data-office', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
