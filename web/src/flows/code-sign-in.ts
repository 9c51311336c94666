/** Sign up or sign in with an email or a phone number and a one-time code.
 *
 * 1. Cognito InitiateAuth (CUSTOM_AUTH); a new user is signed up first.
 * 2. The create trigger's token goes to the Authsignal SDK, which sends the code
 *    (email or sms challenge) to the account's own contact.
 * 3. The SDK verifies the code the person typed and returns a validation token.
 * 4. Cognito RespondToAuthChallenge with that token (never the create step's own token).
 */
import type { App } from "../app";
import { call } from "../authsignal";
import type { Challenge, Tokens } from "../cognito";
import { Problem, SENTENCES } from "../problems";

export type Channel = "email" | "sms";
/** A sign-in waiting for its code; ``username`` as Cognito knows it. */
export type CodeSignIn = { username: string; challenge: Challenge; channel: Channel; wrongCodes: number };

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PHONE = /^\+[1-9][0-9]{6,14}$/;

/** The user name as Cognito knows it: an email in lower case, or an E.164 phone number. */
export function normalised(typed: string): string {
  const value = typed.trim();
  if (EMAIL.test(value)) return value.toLowerCase();
  const phone = value.replace(/[\s().-]/g, "");
  if (PHONE.test(phone)) return phone;
  throw new Problem(SENTENCES.badUsername);
}

export async function startCodeSignIn(app: App, typed: string): Promise<CodeSignIn> {
  const username = normalised(typed);
  const challenge = await startOrSignUp(app, username);
  const channel: Channel = username.startsWith("+") ? "sms" : "email";
  app.authsignal.setToken(challenge.token);
  await call(() => (channel === "email" ? app.authsignal.email.challenge() : app.authsignal.sms.challenge()));
  return { username, challenge, channel, wrongCodes: 0 };
}

/** Verify the code; on success answer Cognito with the validation token and return the tokens.
 * A wrong code counts against the stack's attempt limit and says how many tries are left. */
export async function verifyCode(app: App, attempt: CodeSignIn, code: string): Promise<Tokens> {
  const verified = await call(() => (attempt.channel === "email"
    ? app.authsignal.email.verify({ code: code.trim() })
    : app.authsignal.sms.verify({ code: code.trim() })));
  if (!verified.isVerified || !verified.token) {
    attempt.wrongCodes += 1;
    const left = app.config.attemptLimit - attempt.wrongCodes;
    throw new Problem(left > 0 ? SENTENCES.wrongCode(left) : SENTENCES.attemptsExhausted);
  }
  const tokens = await app.cognito.answer(attempt.challenge, verified.token);
  if (!tokens) throw new Problem(SENTENCES.answerRefused);
  return tokens;
}

/** InitiateAuth; Cognito does not say whether a user exists (it answers NotAuthorizedException
 * for an unknown one), so on that answer sign up and start again. */
async function startOrSignUp(app: App, username: string): Promise<Challenge> {
  try {
    return await app.cognito.start(username);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== "NotAuthorizedException" && name !== "UserNotFoundException") throw error;
    if (!(await app.cognito.signUp(username))) throw error;  // it exists: the refusal stands
    return app.cognito.start(username);
  }
}
