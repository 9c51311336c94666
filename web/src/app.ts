/** What every flow works with: the settings and one client per service. */
import type { Authsignal } from "@authsignal/browser";
import { Api } from "./api";
import { createAuthsignal } from "./authsignal";
import { Cognito } from "./cognito";
import type { AppConfig } from "./config";
import { session } from "./session";

export type App = { config: AppConfig; cognito: Cognito; authsignal: Authsignal; api: Api };

export function createApp(config: AppConfig): App {
  return {
    config,
    cognito: new Cognito(config),
    authsignal: createAuthsignal(config),
    api: new Api(config, () => session().tokens.accessToken),
  };
}
