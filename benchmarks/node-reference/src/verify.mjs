// Verify auth challenge response: the answer is an Authsignal validation token; an OTP sent to an
// email or phone not yet verified in Cognito marks it verified.
import {
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { ACTION, authsignal } from "./authsignal.mjs";

const cognito = new CognitoIdentityProviderClient({});

export const handler = async (event) => {
  const attributes = event.request.userAttributes;
  const result = await authsignal.validateChallenge({
    action: ACTION,
    userId: attributes.sub,
    token: event.request.challengeAnswer,
  });
  event.response.answerCorrect = Boolean(result.isValid) && result.userId === attributes.sub;
  const verified =
    result.verificationMethod === "EMAIL_OTP" ? "email_verified"
      : result.verificationMethod === "SMS" ? "phone_number_verified" : null;
  if (event.response.answerCorrect && verified && attributes[verified] !== "true") {
    await cognito.send(new AdminUpdateUserAttributesCommand({
      UserPoolId: event.userPoolId,
      Username: event.userName,
      UserAttributes: [{ Name: verified, Value: "true" }],
    }));
  }
  return event;
};
