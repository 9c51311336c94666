// The Authsignal client, made at init with the key from the function's environment.
import { Authsignal } from "@authsignal/node";

export const ACTION = "cognitoAuth";
export const authsignal = new Authsignal({
  apiSecretKey: process.env.AUTHSIGNAL_SECRET,
  apiUrl: process.env.AUTHSIGNAL_URL,
});
