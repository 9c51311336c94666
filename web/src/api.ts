/** Our authenticators API, called with the Cognito access token. */
import type { AppConfig } from "./config";

export type Authenticator = {
  id: string;
  type: string;
  createdAt?: string;
  lastUsedAt?: string;
  displayName?: string;
};

/** An answer other than 2xx. ``stepUp``: RFC 9470's "sign in again" (a stale sign-in). */
export class ApiRefused extends Error {
  constructor(readonly status: number, message: string, readonly stepUp: boolean) {
    super(message);
  }
}

/** The API could not be reached at all (down, offline, or CORS refused). */
export class ApiUnreachable extends Error {}

export class Api {
  /** ``refresh``: new tokens after a 401 that is not a step-up (an expired access token); false
   * when there is no refresh token. The call is then made once more. */
  constructor(private readonly config: AppConfig, private readonly accessToken: () => string,
              private readonly refresh: () => Promise<boolean>) {}

  /** A token for ``passkey.signUp``: Authsignal's ``addAuthenticator`` action for this user. */
  async addPasskeyToken(): Promise<string> {
    const body = await this.call<{ authsignalToken: string }>("POST", "/authenticators");
    return body.authsignalToken;
  }

  async authenticators(): Promise<Authenticator[]> {
    return (await this.call<{ authenticators: Authenticator[] }>("GET", "/authenticators")).authenticators;
  }

  async remove(id: string): Promise<void> {
    await this.call("DELETE", `/authenticators/${encodeURIComponent(id)}`);
  }

  private async call<T>(method: string, path: string, retried = false): Promise<T> {
    try {
      return await this.send<T>(method, path);
    } catch (error) {
      if (retried || !(error instanceof ApiRefused) || error.status !== 401 || error.stepUp) throw error;
      if (!(await this.refresh())) throw error;
      return this.call<T>(method, path, true);
    }
  }

  private async send<T>(method: string, path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.config.apiUrl.replace(/\/$/, "") + path, {
        method,
        headers: { Authorization: `Bearer ${this.accessToken()}` },
      });
    } catch {
      throw new ApiUnreachable(`${method} ${path} did not answer`);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const challenge = response.headers.get("WWW-Authenticate") ?? "";
      const stepUp = response.status === 401 && challenge.includes("insufficient_user_authentication");
      throw new ApiRefused(response.status, String(body?.message ?? response.statusText), stepUp);
    }
    return body as T;
  }
}
