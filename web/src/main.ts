/** The screens and what their buttons do; each flow lives in its own module (src/flows). */
import "./style.css";
import { ApiRefused, type Authenticator } from "./api";
import { createApp, type App } from "./app";
import type { Tokens } from "./cognito";
import { loadConfig } from "./config";
import { addPasskey } from "./flows/add-passkey";
import { describe, listAuthenticators, removeAuthenticator } from "./flows/authenticators";
import { type CodeSignIn, startCodeSignIn, verifyCode } from "./flows/code-sign-in";
import { autofillSupported, passkeySignIn } from "./flows/passkey-sign-in";
import { signOut } from "./flows/sign-out";
import { Problem, SENTENCES, sentenceFor } from "./problems";
import { claims, isSignedIn, session, signedIn } from "./session";

type View = "start" | "code" | "step-up" | "signed-in";

const element = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const usernameInput = element<HTMLInputElement>("username");
const codeInput = element<HTMLInputElement>("code");

let app: App;
let attempt: CodeSignIn | null = null;
let afterStepUp: (() => Promise<void>) | null = null;  // what a stale sign-in interrupted

function show(view: View): void {
  for (const name of ["start", "code", "step-up", "signed-in"]) element(`view-${name}`).hidden = name !== view;
  if (view === "start") void offerAutofill();
}

function say(kind: "error" | "notice", text: string | null): void {
  const target = element(kind);
  target.textContent = text ?? "";
  target.hidden = !text;
}

/** Run one action of a button: busy while it runs, and any error shown as its sentence. */
async function run(action: () => Promise<void>, onError?: (error: unknown) => void): Promise<void> {
  say("error", null);
  say("notice", null);
  const buttons = [...document.querySelectorAll("button")];
  buttons.forEach((button) => (button.disabled = true));
  element("busy").hidden = false;
  try {
    await action();
  } catch (error) {
    say("error", sentenceFor(error));
    onError?.(error);
  } finally {
    buttons.forEach((button) => (button.disabled = false));
    element("busy").hidden = true;
  }
}

/** Run an action that needs a recent sign-in: a 401 step-up answer asks the person to sign in
 * again, and the action runs again once they have. */
async function withRecentSignIn(action: () => Promise<void>): Promise<void> {
  await run(action, (error) => {
    if (error instanceof ApiRefused && error.stepUp) {
      afterStepUp = action;
      show("step-up");
    }
  });
}

async function onSignedIn(tokens: Tokens, username: string, method: "code" | "passkey"): Promise<void> {
  signedIn({ tokens, username, method });
  attempt = null;
  const id = claims(tokens.idToken);
  const phone = "phone_number" in id;
  element("sub").textContent = String(id.sub);
  element("verified-label").textContent = phone ? "Phone number verified" : "Email verified";
  element("verified").textContent = (phone ? id.phone_number_verified : id.email_verified) === true ? "yes" : "no";
  show("signed-in");
  const pending = afterStepUp;
  afterStepUp = null;
  if (pending) {
    await pending();
  } else {
    await renderAuthenticators();
  }
}

async function renderAuthenticators(): Promise<void> {
  const list = element("authenticators");
  const authenticators: Authenticator[] = await listAuthenticators(app);
  list.replaceChildren(...authenticators.map((authenticator) => {
    const item = document.createElement("li");
    item.dataset.type = authenticator.type;
    const name = document.createElement("span");
    name.textContent = describe(authenticator);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => void withRecentSignIn(async () => {
      await removeAuthenticator(app, authenticator.id);
      await renderAuthenticators();
      say("notice", "Removed.");
    }));
    item.append(name, remove);
    return item;
  }));
}

async function beginCodeSignIn(typed: string): Promise<void> {
  attempt = await startCodeSignIn(app, typed);
  element("code-sent").textContent = `We sent a code to ${typed.trim()}. It may take a minute to arrive.`;
  codeInput.value = "";
  show("code");
  codeInput.focus();
}

let autofillOffered = false;

/** Passkeys in the user name field's autofill, where the browser can (once per page). */
async function offerAutofill(): Promise<void> {
  if (autofillOffered || !(await autofillSupported())) return;
  autofillOffered = true;
  try {
    const result = await passkeySignIn(app, true);
    if (result) await onSignedIn(result.tokens, result.username, "passkey");
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== "AbortError" && name !== "NotAllowedError") say("error", sentenceFor(error));
  } finally {
    autofillOffered = false;
  }
}

function wire(): void {
  element<HTMLFormElement>("start-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void run(() => beginCodeSignIn(usernameInput.value));
  });
  element("passkey-sign-in").addEventListener("click", () => void run(async () => {
    const result = await passkeySignIn(app);
    if (result) await onSignedIn(result.tokens, result.username, "passkey");
  }));
  element<HTMLFormElement>("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const current = attempt;
    if (!current) return show("start");
    void run(async () => {
      const tokens = await verifyCode(app, current, codeInput.value);
      await onSignedIn(tokens, current.username, "code");
    }, (error) => {
      // A wrong code with tries left keeps the code screen; anything else starts over.
      const triesLeft = error instanceof Problem && error.message !== SENTENCES.attemptsExhausted
        && error.message !== SENTENCES.answerRefused;
      if (!triesLeft) {
        attempt = null;
        show(isSignedIn() && afterStepUp ? "step-up" : "start");
      } else {
        codeInput.select();
      }
    });
  });
  element("restart").addEventListener("click", () => {
    attempt = null;
    say("error", null);
    show(isSignedIn() && afterStepUp ? "step-up" : "start");
  });
  element("add-passkey").addEventListener("click", () => void withRecentSignIn(async () => {
    await addPasskey(app);
    await renderAuthenticators();
    say("notice", "Passkey added. Next time, sign in with it.");
  }));
  element("sign-in-again").addEventListener("click", () => void run(async () => {
    const { username, method } = session();
    if (method === "passkey") {
      const result = await passkeySignIn(app);
      if (result) await onSignedIn(result.tokens, result.username, "passkey");
    } else {
      usernameInput.value = username;
      await beginCodeSignIn(username);
    }
  }));
  element("cancel-step-up").addEventListener("click", () => {
    afterStepUp = null;
    say("error", null);
    show("signed-in");
  });
  element("sign-out").addEventListener("click", () => void run(async () => {
    try {
      await signOut(app);
    } finally {
      usernameInput.value = "";
      show("start");
    }
    say("notice", SENTENCES.signedOut);
  }));
}

async function start(): Promise<void> {
  try {
    app = createApp(await loadConfig());
  } catch (error) {
    say("error", sentenceFor(error));
    return;
  }
  wire();
  show("start");
}

void start();
