/** The Authsignal browser SDK, pointed at the environment's tenant and client API. */
import { Authsignal } from "@authsignal/browser";
import type { AppConfig } from "./config";

export function createAuthsignal(config: AppConfig): Authsignal {
  return new Authsignal({ tenantId: config.authsignalTenantId, baseUrl: config.authsignalClientUrl });
}

/** What the SDK answers instead of throwing: an error code and a description, or data. */
export type SdkAnswer<T> = { data?: T; errorCode?: string; errorDescription?: string; error?: string };

/** The SDK's error as an exception, so one place (problems.ts) words it for a person. */
export class AuthsignalRefused extends Error {
  constructor(readonly code: string | undefined, description: string | undefined) {
    super(description ?? code ?? "Authsignal refused the request");
  }
}

export function dataOf<T>(answer: SdkAnswer<T>): T {
  if (answer.errorCode || answer.error || answer.data === undefined) {
    throw new AuthsignalRefused(answer.errorCode, answer.errorDescription ?? answer.error);
  }
  return answer.data;
}

/** Run an SDK call: a fetch that never answered (the SDK lets it throw) becomes
 * ``network_error``, and an error answer becomes ``AuthsignalRefused``. */
export async function call<T>(request: () => Promise<SdkAnswer<T>>): Promise<T> {
  let answer: SdkAnswer<T>;
  try {
    answer = await request();
  } catch (error) {
    if (error instanceof TypeError) throw new AuthsignalRefused("network_error", error.message);
    throw error;
  }
  return dataOf(answer);
}
