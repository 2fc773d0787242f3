/** The mirrors' config-sync SSH private key (its public half is authorized on the config source). */
export const configSyncSshKeyKey = "config-sync-ssh-key";
