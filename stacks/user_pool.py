"""The passwordless user pool: email or phone number as the username, self sign-up, and
sign-in only through the custom-auth triggers backed by Authsignal."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.lambda_function import PythonLambda
from stacks.single_use_table import SingleUseTable

# Cognito waits 5 s for a trigger; the 4 s Lambda timeout ends the function before that. On
# create the function reads the secret (only when its init could not: shared/init_phase.py) and
# tracks (an account's first sign-in also enrols its contact and tracks again); on verify it
# validates, makes one DynamoDB put and at most one Cognito update. Every Authsignal attempt
# (1.2 s at most) starts only if it can end in time (shared/retry.py), keeping verify's time for
# its put (shared/single_use.CLAIM_SECONDS); every AWS call is one try of 0.5 s to connect and 1 s
# to read (shared/aws.py), and the Cognito update is skipped when it could not end in time
# (shared/contact_verification.py).
AUTHSIGNAL_TIMEOUT_SECONDS = "1.2"
TRIGGER_TIMEOUT = Duration.seconds(4)


class PasswordlessUserPool(Construct):
    """The user pool, its app client, its four triggers (served by two functions) and the
    single-use table.

    Like every construct here, it takes plain typed values, never the environment's whole
    configuration: only ``PasswordlessStack`` reads ``EnvironmentConfig``. A construct's signature
    then says exactly what it depends on, a test builds it from the values it cares about, and a
    new setting reaches only the constructs the stack hands it to.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        secret: secretsmanager.ISecret,
        authsignal_url: str,
        runtime_environment: dict[str, str],
        removal_policy: RemovalPolicy,
        log_retention_days: int,
        memory_mb: Mapping[str, int],
        attempt_limit: int,
        passkey_token_max_age_seconds: int,
        email_magic_link_enabled: bool,
        access_token_validity_minutes: int,
        id_token_validity_minutes: int,
        refresh_token_validity_days: int,
        deletion_protection: bool,
        trigger_reserved_concurrency: int | None = None,
        snap_start: bool = False,
        provisioned_concurrency: int = 0,
    ) -> None:
        super().__init__(scope, id_)
        # The user pool's functions by construct id: PreSignUp, and CustomAuth, the one function
        # behind the define, create and verify triggers (lambdas/triggers/custom_auth.py says why).
        self.triggers: dict[str, PythonLambda] = {}

        def trigger(
            name: str,
            module: str,
            description: str,
            *,
            needs_authsignal: bool,
            memory_mb: int,
            extra: dict[str, str] | None = None,
            signs_in: bool = True,
            with_snap_start: bool = False,
            provisioned: int = 0,
        ) -> PythonLambda:
            environment = {**runtime_environment, **(extra or {})}
            if needs_authsignal:
                environment |= {
                    "AUTHSIGNAL_SECRET_ARN": secret.secret_arn,
                    "AUTHSIGNAL_URL": authsignal_url,
                    "AUTHSIGNAL_TIMEOUT_SECONDS": AUTHSIGNAL_TIMEOUT_SECONDS,
                }
            function = PythonLambda(
                self,
                name,
                handler=f"triggers.{module}.handler",
                description=description,
                with_dependencies=needs_authsignal,
                timeout=TRIGGER_TIMEOUT,
                environment=environment,
                log_retention_days=log_retention_days,
                removal_policy=removal_policy,
                # Concurrency set aside for sign-in, so a flood elsewhere in the account cannot starve it.
                reserved_concurrency=trigger_reserved_concurrency if signs_in else None,
                memory_size=memory_mb,
                snap_start=with_snap_start,
                provisioned_concurrency=provisioned,
            )
            if needs_authsignal:
                function.allow_reading(secret)
            self.triggers[name] = function
            return function

        # No SnapStart for pre sign-up: its init is the interpreter and a few modules, less than a restore.
        pre_sign_up = trigger(
            "PreSignUp",
            "pre_sign_up",
            "Confirms a sign-up whose one contact is its username; verifies nothing",
            needs_authsignal=False,
            signs_in=False,
            memory_mb=memory_mb["preSignUp"],
        )
        self.single_use = SingleUseTable(self, "SingleUse")
        custom_auth = trigger(
            "CustomAuth",
            "custom_auth",
            "Define, create and verify auth challenge: one Authsignal challenge per sign-in, "
            "tokens only after it succeeded, each answer once",
            needs_authsignal=True,
            memory_mb=memory_mb["customAuth"],
            with_snap_start=snap_start,
            provisioned=provisioned_concurrency,
            extra={
                "ATTEMPT_LIMIT": str(attempt_limit),
                "SINGLE_USE_TABLE_NAME": self.single_use.table.table_name,
                "PASSKEY_TOKEN_MAX_AGE_SECONDS": str(passkey_token_max_age_seconds),
                "EMAIL_MAGIC_LINK_ENABLED": str(email_magic_link_enabled).lower(),
            },
        )
        self.single_use.allow_claiming(custom_auth.role)

        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            sign_in_aliases=cognito.SignInAliases(email=True, phone=True),
            self_sign_up_enabled=True,
            # ada@example.com and Ada@Example.com are one person, not two accounts.
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=False, phone=False),
            # Set at sign-up, never changed after: the contact a person proved is the one every
            # later OTP goes to (docs/security.md). Immutable rather than left out of the
            # client's write attributes, which would refuse SignUp itself.
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=False, mutable=False),
                phone_number=cognito.StandardAttribute(required=False, mutable=False),
            ),
            # Users never type a password (the app sends a random one at sign-up); the policy
            # still makes that password strong, so it could not be guessed if ever enabled.
            password_policy=cognito.PasswordPolicy(
                min_length=16, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            account_recovery=cognito.AccountRecovery.NONE,
            # Authsignal sends the OTPs; Cognito itself never sends SMS, so it gets no SNS role.
            enable_sms_role=False,
            mfa=cognito.Mfa.OFF,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
            lambda_triggers=cognito.UserPoolTriggers(
                pre_sign_up=pre_sign_up.target,
                define_auth_challenge=custom_auth.target,
                create_auth_challenge=custom_auth.target,
                verify_auth_challenge_response=custom_auth.target,
            ),
        )
        # Verification follows proof: verify sets email_verified / phone_number_verified. A policy
        # of its own, outside the function's role construct, so the function does not depend on
        # it: pool -> function -> role stays acyclic, and this policy comes after the pool.
        self.verify_contact_policy = iam.Policy(
            self,
            "VerifyMarksContactsVerified",
            roles=[custom_auth.role],
            statements=[
                iam.PolicyStatement(
                    actions=["cognito-idp:AdminUpdateUserAttributes"], resources=[self.user_pool.user_pool_arn]
                )
            ],
        )
        self.client = self.user_pool.add_client(
            "AppClient",
            auth_flows=cognito.AuthFlow(custom=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            disable_o_auth=True,
            auth_session_validity=Duration.minutes(5),
            access_token_validity=Duration.minutes(access_token_validity_minutes),
            id_token_validity=Duration.minutes(id_token_validity_minutes),
            refresh_token_validity=Duration.days(refresh_token_validity_days),
            # The contact attributes alone (the username's): a sign-up of someone else's address
            # cannot seed a name, nickname, website or *_verified into the profile they sign into.
            # The pre sign-up trigger refuses any other attribute as well.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, phone_number=True),
        )
