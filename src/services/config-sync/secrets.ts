import { unencryptedPrivateKey, type SecretRule } from "../secret-rules";

/** The mirrors' config-sync SSH private key (its public half is authorized on the config source). */
export const configSyncSshKeyKey = "config-sync-ssh-key";

export function configSyncSecretRules(key: string): SecretRule[] {
  return key === configSyncSshKeyKey ? [unencryptedPrivateKey(configSyncSshKeyKey)] : [];
}
