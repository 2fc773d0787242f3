/** The role presets a host may take; each service module says which of them run it by default. */
export const roles = ["lyra", "vega", "mirror"] as const;
export type Role = (typeof roles)[number];
