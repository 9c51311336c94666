/** Every error a person can meet, as one sentence: never a code, never a stack trace.
 * The flows throw; the screen shows ``sentenceFor(error)``. */
import { WebAuthnError } from "@authsignal/browser";
import { ApiRefused, ApiUnreachable } from "./api";
import { AuthsignalRefused } from "./authsignal";
import { ConfigMissing } from "./config";

/** A problem a flow words itself (a wrong code and the tries left, for instance). */
export class Problem extends Error {}

export const SENTENCES = {
  blocked: "This sign-in was refused. Try again later, or contact support if it keeps happening.",
  wrongCode: (left: number) =>
    `That code is not right. You have ${left} ${left === 1 ? "try" : "tries"} left.`,
  attemptsExhausted: "That was the last try. Start again to get a new code.",
  expiredSession: "This sign-in took too long and has expired. Start again.",
  expiredCode: "That code has expired. Start again to get a new one.",
  authsignalDown: "We cannot reach the sign-in service right now. Try again in a minute.",
  apiDown: "We cannot reach the server right now. Try again in a minute.",
  cognitoDown: "We cannot reach the sign-in service right now. Try again in a minute.",
  throttled: "Lots of people are signing in right now. Wait a few seconds and try again.",
  signInAgain: "For your security, sign in again to continue. We will finish what you started.",
  lastAuthenticator: "This is your only way to sign in, so it cannot be removed. Add another one first.",
  notFound: "That sign-in method no longer exists. The list has been refreshed.",
  passkeyCancelled: "The passkey prompt was closed. Try again when you are ready.",
  noPasskey: "No passkey for this site was found on this device. Sign in with a code instead.",
  passkeyRefused: "That passkey could not be verified. Sign in with a code instead.",
  badUsername: "Enter an email address or a phone number starting with + and the country code.",
  notConfigured: "This app is not set up yet: its config.json is missing. Run scripts/web-config.",
  signedOut: "You are signed out.",
  answerRefused: "That sign-in could not be completed. Start again.",
  unknown: "Something went wrong on our side. Try again.",
} as const;

export function sentenceFor(error: unknown): string {
  if (error instanceof Problem) return error.message;
  if (error instanceof ConfigMissing) return SENTENCES.notConfigured;
  if (error instanceof ApiUnreachable) return SENTENCES.apiDown;
  if (error instanceof ApiRefused) return apiSentence(error);
  if (error instanceof AuthsignalRefused) return authsignalSentence(error.code);
  if (error instanceof WebAuthnError || isDomException(error)) return passkeySentence(error as Error);
  const name = (error as { name?: string })?.name ?? "";
  const message = String((error as { message?: string })?.message ?? "");
  switch (name) {
    case "TooManyRequestsException":
    case "LimitExceededException":
      return SENTENCES.throttled;
    // The create trigger refused (a BLOCK rule, or Authsignal down): AWS answers the first,
    // the local emulator the second; neither says why, on purpose.
    case "UserLambdaValidationException":
    case "InvalidLambdaResponseException":
      return SENTENCES.blocked;
    case "NotAuthorizedException":
      return /session/i.test(message) ? SENTENCES.expiredSession : SENTENCES.attemptsExhausted;
    case "InvalidParameterException":
    case "CodeMismatchException":
    case "ExpiredCodeException":
      return /session/i.test(message) ? SENTENCES.expiredSession : SENTENCES.unknown;
    case "InvalidPasswordException":
      return SENTENCES.unknown;
    case "TypeError":  // fetch() itself failed: nothing answered
      return SENTENCES.cognitoDown;
  }
  return SENTENCES.unknown;
}

function apiSentence(error: ApiRefused): string {
  if (error.stepUp) return SENTENCES.signInAgain;
  if (error.status === 409) return SENTENCES.lastAuthenticator;
  if (error.status === 404) return SENTENCES.notFound;
  if (error.status === 401) return SENTENCES.signInAgain;
  if (error.status === 429) return SENTENCES.throttled;
  if (error.status >= 500) return SENTENCES.apiDown;
  return SENTENCES.unknown;
}

function authsignalSentence(code: string | undefined): string {
  switch (code) {
    case "expired_token": return SENTENCES.expiredCode;
    case "too_many_requests": return SENTENCES.throttled;
    case "network_error": return SENTENCES.authsignalDown;
    case "invalid_credential": return SENTENCES.passkeyRefused;
  }
  return SENTENCES.unknown;
}

function passkeySentence(error: Error): string {
  if (error.name === "NotAllowedError" || error.name === "AbortError") return SENTENCES.passkeyCancelled;
  return SENTENCES.passkeyRefused;
}

function isDomException(error: unknown): boolean {
  return typeof DOMException !== "undefined" && error instanceof DOMException;
}
