// Define auth challenge: one custom challenge per sign-in; tokens once it succeeded; give up after
// three wrong answers or for a user Cognito does not know. No dependencies.
const MAX_ATTEMPTS = 3;

export const handler = async (event) => {
  const session = event.request.session ?? [];
  const last = session[session.length - 1];
  if (event.request.userNotFound) {
    event.response.issueTokens = false;
    event.response.failAuthentication = true;
  } else if (last && last.challengeName === "CUSTOM_CHALLENGE" && last.challengeResult === true) {
    event.response.issueTokens = true;
    event.response.failAuthentication = false;
  } else if (session.length >= MAX_ATTEMPTS) {
    event.response.issueTokens = false;
    event.response.failAuthentication = true;
  } else {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "CUSTOM_CHALLENGE";
  }
  return event;
};
