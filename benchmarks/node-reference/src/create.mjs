// Create auth challenge: track the sign-in action with the user's contact and hand the app what
// it needs to present the challenge.
import { ACTION, authsignal } from "./authsignal.mjs";

export const handler = async (event) => {
  const { sub, email, phone_number: phoneNumber } = event.request.userAttributes;
  const { url, token, isEnrolled } = await authsignal.track({
    userId: sub,
    action: ACTION,
    attributes: { email, phoneNumber },
  });
  event.response.publicChallengeParameters = { url, token, isEnrolled: String(isEnrolled) };
  event.response.privateChallengeParameters = {};
  event.response.challengeMetadata = "AUTHSIGNAL_CHALLENGE";
  return event;
};
