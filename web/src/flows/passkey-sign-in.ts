/** Sign in with a passkey, passkey first:
 *
 * 1. ``passkey.signIn({ action: "cognitoAuth" })``: the browser's passkey prompt; Authsignal
 *    verifies the assertion and answers the user name and a validation token.
 * 2. Cognito InitiateAuth (CUSTOM_AUTH) with that user name.
 * 3. Cognito RespondToAuthChallenge with that token.
 *
 * With ``autofill`` the prompt is the browser's own list under the user name field
 * (conditional mediation); it resolves only when the person picks a passkey there.
 */
import type { App } from "../app";
import { call } from "../authsignal";
import type { Tokens } from "../cognito";
import { Problem, SENTENCES } from "../problems";

export const SIGN_IN_ACTION = "cognitoAuth";

export async function passkeySignIn(app: App, autofill = false): Promise<{ tokens: Tokens; username: string } | null> {
  const result = await call(async () => {
    const answer = await app.authsignal.passkey.signIn({ action: SIGN_IN_ACTION, autofill });
    // An autofill request already pending answers nothing at all: no error, no data.
    return autofill && !answer.data && !answer.errorCode ? { data: null } : answer;
  });
  if (result === null) return null;
  if (!result.isVerified || !result.token || !result.username) throw new Problem(SENTENCES.passkeyRefused);
  const challenge = await app.cognito.start(result.username);
  const tokens = await app.cognito.answer(challenge, result.token);
  if (!tokens) throw new Problem(SENTENCES.answerRefused);
  return { tokens, username: result.username };
}

/** Whether this browser can offer passkeys in the user name field's autofill. */
export async function autofillSupported(): Promise<boolean> {
  const credential = window.PublicKeyCredential as { isConditionalMediationAvailable?: () => Promise<boolean> } | undefined;
  return Boolean(await credential?.isConditionalMediationAvailable?.().catch(() => false));
}
