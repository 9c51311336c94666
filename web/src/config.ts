/** The app's settings, from config.json next to index.html (scripts/web-config writes it from
 * the stack's outputs). Public values only: a client id, URLs, a tenant id, a number. */
export type AppConfig = {
  region: string;
  userPoolClientId: string;
  apiUrl: string;
  authsignalTenantId: string;
  authsignalClientUrl: string;
  attemptLimit: number;
  /** The local AWS emulator's endpoint (the sandbox only); absent for real AWS. */
  cognitoEndpoint?: string;
};

const REQUIRED = ["region", "userPoolClientId", "apiUrl", "authsignalTenantId", "authsignalClientUrl"] as const;

export class ConfigMissing extends Error {}

export async function loadConfig(): Promise<AppConfig> {
  let raw: unknown;
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (!response.ok) throw new ConfigMissing(`config.json answered ${response.status}`);
    raw = await response.json();
  } catch (error) {
    throw error instanceof ConfigMissing ? error : new ConfigMissing("config.json could not be read");
  }
  const config = raw as Partial<AppConfig>;
  for (const key of REQUIRED) {
    if (typeof config[key] !== "string" || !config[key]) throw new ConfigMissing(`config.json has no ${key}`);
  }
  return { ...config, attemptLimit: Number(config.attemptLimit) || 3 } as AppConfig;
}
