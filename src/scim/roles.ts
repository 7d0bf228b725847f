// SCIM group → gateway role mapping: rules on the directory match a SCIM group's displayName or externalId.

export interface ScimRoleRule {
  attribute: "displayName" | "externalId";
  value: string;
  role: string;
}

export interface ScimGroupRef {
  displayName: string;
  externalId?: string;
}

/** Roles for a member of `groups`, in rule order, de-duplicated; the default role when no rule matches. */
export function rolesForGroups(rules: readonly ScimRoleRule[] | undefined, groups: readonly ScimGroupRef[], defaultRole: string): string[] {
  const roles: string[] = [];
  for (const rule of rules ?? []) {
    const want = rule.value.toLowerCase();
    const hit = groups.some((g) => {
      const v = rule.attribute === "displayName" ? g.displayName : g.externalId;
      return v !== undefined && v.toLowerCase() === want;
    });
    if (hit && !roles.includes(rule.role)) roles.push(rule.role);
  }
  return roles.length ? roles : [defaultRole];
}
