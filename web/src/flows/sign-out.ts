/** Sign out: revoke the refresh token at Cognito (it and the tokens it issued stop working),
 * then forget the tokens. The tokens are forgotten even if Cognito cannot be reached. */
import type { App } from "../app";
import { session, signedOut } from "../session";

export async function signOut(app: App): Promise<void> {
  const { refreshToken } = session().tokens;
  try {
    if (refreshToken) await app.cognito.revoke(refreshToken);
  } finally {
    signedOut();
  }
}
