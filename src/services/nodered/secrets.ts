/** Node-RED's secret: the key its credentials file is encrypted with. */
import { oneLine, type SecretRule } from "../secret-rules";

export const noderedCredentialSecretKey = "nodered-credential-secret";

export function noderedSecretRules(key: string): SecretRule[] {
  return key === noderedCredentialSecretKey ? [oneLine] : [];
}
