/**
 * backup: restic backups of every data set the host's services declare, to the fleet's repository
 * on the NAS over SFTP, and their restore on an empty host before the service first starts. Runs
 * when the stack has a `backup:` section (its settings: ./settings.ts); a host may turn it off.
 */
import { defineService } from "../module";
import { options } from "./options";
import { renderBackups } from "./render";
import { backupPasswordKey, backupSecretRules, nasSshKeyKey } from "./secrets";

export const service = defineService({
  id: "backup",
  options,
  roles: ["lyra", "vega", "mirror"],
  // After the rest of the host: it backs up the data sets the host's other services declare.
  renderAfterHost: renderBackups,
  secretKeys: (fleet) => (fleet.backup ? [backupPasswordKey, nasSshKeyKey] : []),
  secretRules: backupSecretRules,
});
