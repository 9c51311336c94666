/** Cognito's public (unsigned) calls through the AWS SDK's own client: no credentials, no
 * hand-written protocol. The SDK retries a throttled call (TooManyRequestsException) with
 * backoff before the error reaches the app. */
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SignUpCommand,
  UsernameExistsException,
  type AuthenticationResultType,
} from "@aws-sdk/client-cognito-identity-provider";
import type { AppConfig } from "./config";

export type Tokens = { idToken: string; accessToken: string; refreshToken?: string };

/** Cognito's answer to InitiateAuth: the session and what the create trigger handed out. */
export type Challenge = { username: string; session: string; token: string; isEnrolled: boolean };

export class Cognito {
  private readonly client: CognitoIdentityProviderClient;
  private readonly clientId: string;

  constructor(config: AppConfig) {
    this.client = new CognitoIdentityProviderClient({
      region: config.region,
      ...(config.cognitoEndpoint ? { endpoint: config.cognitoEndpoint } : {}),
    });
    this.clientId = config.userPoolClientId;
  }

  /** Sign up with the email or phone number as the user name; the password is random and never
   * used (the pre sign-up trigger confirms the user). False when the user already exists. */
  async signUp(username: string): Promise<boolean> {
    const attribute = username.startsWith("+") ? "phone_number" : "email";
    try {
      await this.client.send(new SignUpCommand({
        ClientId: this.clientId,
        Username: username,
        Password: randomPassword(),
        UserAttributes: [{ Name: attribute, Value: username }],
      }));
      return true;
    } catch (error) {
      if (error instanceof UsernameExistsException) return false;
      throw error;
    }
  }

  /** InitiateAuth (CUSTOM_AUTH): the session's challenge. */
  async start(username: string): Promise<Challenge> {
    const result = await this.client.send(new InitiateAuthCommand({
      ClientId: this.clientId,
      AuthFlow: "CUSTOM_AUTH",
      AuthParameters: { USERNAME: username },
    }));
    return challengeFrom(result.ChallengeParameters, result.Session, username);
  }

  /** RespondToAuthChallenge with an Authsignal validation token: tokens, or null when Cognito
   * refused the answer and asked again. */
  async answer(challenge: Challenge, answer: string): Promise<Tokens | null> {
    const result = await this.client.send(new RespondToAuthChallengeCommand({
      ClientId: this.clientId,
      ChallengeName: "CUSTOM_CHALLENGE",
      Session: challenge.session,
      ChallengeResponses: { USERNAME: challenge.username, ANSWER: answer },
    }));
    return result.AuthenticationResult ? tokensFrom(result.AuthenticationResult) : null;
  }

  /** New ID and access tokens from the refresh token (the same sign-in: auth_time stays). */
  async refresh(refreshToken: string): Promise<Tokens> {
    const result = await this.client.send(new InitiateAuthCommand({
      ClientId: this.clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    }));
    if (!result.AuthenticationResult) throw new Error("no tokens from refresh");
    return { ...tokensFrom(result.AuthenticationResult), refreshToken };
  }

  /** Revoke the refresh token: it and the tokens issued from it stop working. */
  async revoke(refreshToken: string): Promise<void> {
    await this.client.send(new RevokeTokenCommand({ ClientId: this.clientId, Token: refreshToken }));
  }
}

function challengeFrom(parameters: Record<string, string> | undefined, session: string | undefined,
                       username: string): Challenge {
  if (!parameters?.token || !session) throw new Error("Cognito answered without a challenge");
  return {
    username: parameters.USERNAME ?? username,
    session,
    token: parameters.token,
    isEnrolled: parameters.isEnrolled === "true",
  };
}

function tokensFrom(result: AuthenticationResultType): Tokens {
  if (!result.IdToken || !result.AccessToken) throw new Error("Cognito answered without tokens");
  return { idToken: result.IdToken, accessToken: result.AccessToken, refreshToken: result.RefreshToken };
}

function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)) + "aA1!";
}
