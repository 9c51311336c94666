/** List the user's sign-in methods and remove one. The API refuses to remove the last one
 * (409), and removing needs a recent sign-in like adding (401 step-up). */
import type { Authenticator } from "../api";
import type { App } from "../app";

export function listAuthenticators(app: App): Promise<Authenticator[]> {
  return app.api.authenticators();
}

export function removeAuthenticator(app: App, id: string): Promise<void> {
  return app.api.remove(id);
}

/** How a method is named on screen. */
export function describe(authenticator: Authenticator): string {
  switch (authenticator.type) {
    case "PASSKEY": {
      const name = authenticator.displayName;
      return name && name.toLowerCase() !== "passkey" ? `Passkey (${name})` : "Passkey";
    }
    case "EMAIL_OTP": return "Code by email";
    case "SMS": return "Code by text message";
    default: return authenticator.type;
  }
}
