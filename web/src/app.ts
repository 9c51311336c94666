/** What every flow works with: the settings and one client per service. */
import type { Authsignal } from "@authsignal/browser";
import { Api } from "./api";
import { createAuthsignal } from "./authsignal";
import { Cognito } from "./cognito";
import type { AppConfig } from "./config";
import { session, signedIn } from "./session";

export type App = { config: AppConfig; cognito: Cognito; authsignal: Authsignal; api: Api };

export function createApp(config: AppConfig): App {
  const cognito = new Cognito(config);
  return {
    config,
    cognito,
    authsignal: createAuthsignal(config),
    api: new Api(config, () => session().tokens.accessToken, () => refreshTokens(cognito)),
  };
}

/** New ID and access tokens from the refresh token, when the access token has expired. The
 * sign-in stays the same one: a stale sign-in still needs a new one (the step-up answer). */
async function refreshTokens(cognito: Cognito): Promise<boolean> {
  const current = session();
  if (!current.tokens.refreshToken) return false;
  signedIn({ ...current, tokens: await cognito.refresh(current.tokens.refreshToken) });
  return true;
}
