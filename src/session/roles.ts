/**
 * Roles from per-connection rules: each rule maps one IdP value (a group name, group id or role claim value)
 * to one of the app's roles. Matching is exact (IdP group ids are opaque) but case-insensitive for names.
 * No match → the group's default role. Order of the result follows the rules, so the first rule that matches
 * gives the primary role.
 */
export interface RoleRule {
  value: string;
  role: string;
}

export function rolesFromRules(
  rules: readonly RoleRule[] | undefined,
  idpGroups: readonly string[] | undefined,
  defaultRole: string,
): string[] {
  if (!rules?.length || !idpGroups?.length) return [defaultRole];
  const have = new Set(idpGroups.map((g) => g.toLowerCase()));
  const roles: string[] = [];
  for (const rule of rules) {
    if (have.has(rule.value.toLowerCase()) && !roles.includes(rule.role)) roles.push(rule.role);
  }
  return roles.length ? roles : [defaultRole];
}
