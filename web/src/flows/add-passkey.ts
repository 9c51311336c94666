/** Add a passkey (signed in, recently):
 *
 * 1. ``POST /authenticators`` with the access token: a token for Authsignal's
 *    ``addAuthenticator`` action. A stale sign-in answers 401 ``insufficient_user_authentication``:
 *    the caller asks the person to sign in again, then runs this again.
 * 2. ``passkey.signUp`` with that token: the browser creates the passkey, Authsignal stores it.
 */
import type { App } from "../app";
import { call } from "../authsignal";
import { session } from "../session";

export async function addPasskey(app: App): Promise<void> {
  const token = await app.api.addPasskeyToken();
  const { username } = session();
  await call(() => app.authsignal.passkey.signUp({ token, username, displayName: username }));
}
