/** Who is signed in: their tokens (in memory only: a reload signs out) and how they signed in,
 * so a step-up can ask for the same sign-in again. */
import type { Tokens } from "./cognito";

export type Claims = Record<string, unknown>;

export type Session = { tokens: Tokens; username: string; method: "code" | "passkey" };

let current: Session | null = null;

export function signedIn(session: Session): void {
  current = session;
}

export function signedOut(): void {
  current = null;
}

export function session(): Session {
  if (!current) throw new Error("not signed in");
  return current;
}

export function isSignedIn(): boolean {
  return current !== null;
}

/** A JWT's claims, for display only: the API and Cognito verify tokens, the app never does. */
export function claims(token: string): Claims {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Claims;
}
