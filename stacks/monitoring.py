"""Alarms, their notification topic and a dashboard for one environment.

The sign-in decisions are metrics already: every decision the Lambdas log is also an Embedded
Metric Format record (lambdas/shared/log.py) in ``PasswordlessAuth``, dimension ``Environment``
(and ``Reason`` for rejections, ``Trigger`` for the custom-auth triggers, which share one
function). Lambda and API Gateway publish the rest, per function: pre sign-up, the custom-auth
function behind define, create and verify, and the API.

Capacity (docs/capacity.md): Cognito publishes its throttled sign-ins and sign-ups per app client
(``AWS/Cognito``) and each API category's calls per account and Region (``AWS/Usage``
``CallCount``); the alarms warn at ``QUOTA_WARNING_PERCENT`` of each category's configured quota,
before Cognito throttles, and when Authsignal answers 429.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.lambda_function import PythonLambda
from stacks.sign_in_protection import IP_REPUTATION_RULE, RATE_RULE, SignInProtection

PERIOD = Duration.minutes(5)
# The decisions the dashboard graphs as sign-in outcomes, in the order of a sign-in.
OUTCOMES = (
    "ChallengeCreated",
    "AnswerAccepted",
    "TokensIssued",
    "AnswerRejected",
    "Blocked",
    "AttemptsExhausted",
    "AuthsignalError",
)
AUTHSIGNAL_ERRORS_THRESHOLD = 3
REJECTED_ANSWERS_THRESHOLD = 50
API_5XX_RATE_PERCENT = 5
API_4XX_RATE_PERCENT = 25
# As many blocked requests in 5 minutes as a busy office's worth of sign-ins: a flood, or an attack.
WAF_BLOCKED_REQUESTS_THRESHOLD = 100
# A category's calls in 5 minutes at this share of its quota warn before Cognito throttles.
QUOTA_WARNING_PERCENT = 80
# Retries absorb a few 429s; this many in 5 minutes means Authsignal's limit is being reached.
AUTHSIGNAL_THROTTLED_THRESHOLD = 5
# What Cognito throttles per app client (AWS/Cognito), as the dashboard graphs them.
COGNITO_THROTTLES = {
    "SignInThrottles": "sign-ins",
    "SignUpThrottles": "sign-ups",
    "TokenRefreshThrottles": "token refreshes",
}


class Monitoring(Construct):
    """Alarms on errors, throttles, API error rates, Authsignal errors and rejected-answer spikes,
    and on capacity: Cognito's throttles and quotas, Authsignal's 429s."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        environment_name: str,
        namespace: str,
        functions: dict[str, PythonLambda],
        http_api: apigwv2.HttpApi,
        alarm_email: str | None,
        user_pool: cognito.IUserPool,
        user_pool_client: cognito.IUserPoolClient,
        cognito_quotas_rps: dict[str, int],
        sign_in_protection: SignInProtection | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self._environment_name = environment_name
        self._namespace = namespace
        self._user_pool = user_pool
        self._user_pool_client = user_pool_client
        self.alarms: list[cloudwatch.Alarm] = []

        # CloudWatch must be able to use the key to publish to an encrypted topic, which the
        # AWS-managed SNS key does not allow: hence a key of our own, rotated yearly.
        key = kms.Key(
            self,
            "TopicKey",
            enable_key_rotation=True,
            description=f"Encrypts the {environment_name} passwordless alarm topic",
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Passwordless sign-in alarms ({environment_name})",
            master_key=key,
            enforce_ssl=True,
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))

        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                function.function.metric_errors(period=PERIOD, statistic="Sum"),
                1,
                f"{name} failed (an unhandled error: Cognito refused the request)",
            )
            self._alarm(
                f"{name}Throttles",
                function.function.metric_throttles(period=PERIOD, statistic="Sum"),
                1,
                f"{name} was throttled (sign-ins fail while it is)",
            )

        requests = http_api.metric_count(period=PERIOD, statistic="Sum")
        for kind, metric, percent in (
            ("5xx", http_api.metric_server_error(period=PERIOD, statistic="Sum"), API_5XX_RATE_PERCENT),
            ("4xx", http_api.metric_client_error(period=PERIOD, statistic="Sum"), API_4XX_RATE_PERCENT),
        ):
            rate = cloudwatch.MathExpression(
                expression="100 * errors / MAX([requests, 1])",
                using_metrics={"errors": metric, "requests": requests},
                period=PERIOD,
                label=f"API {kind} rate (%)",
            )
            self._alarm(f"Api{kind}Rate", rate, percent, f"more than {percent}% of API requests answered {kind}")

        self._alarm(
            "AuthsignalErrors",
            self.decision_metric("AuthsignalError"),
            AUTHSIGNAL_ERRORS_THRESHOLD,
            "Authsignal calls are failing (down, slow or refusing the key): sign-ins are refused",
        )
        self._alarm(
            "RejectedAnswersSpike",
            self.decision_metric("AnswerRejected"),
            REJECTED_ANSWERS_THRESHOLD,
            "a spike of rejected answers: someone may be guessing or replaying tokens",
        )
        for metric_name in ("SignInThrottles", "SignUpThrottles"):
            self._alarm(
                f"Cognito{metric_name}",
                self.cognito_metric(metric_name),
                1,
                f"Cognito throttled {COGNITO_THROTTLES[metric_name]} of this app client: a category quota of "
                "the account and Region is used up (docs/capacity.md)",
            )
        usage = {category: self.usage_query(category) for category in cognito_quotas_rps}
        for category, rps in cognito_quotas_rps.items():
            self._alarm(
                f"Cognito{category}NearQuota",
                usage[category],
                quota_warning_calls(rps),
                f"Cognito {category} calls of the account and Region reached {QUOTA_WARNING_PERCENT}% of "
                f"the configured quota of {rps} per second: act before Cognito throttles (docs/capacity.md)",
            )
        authsignal_429s = self.authsignal_throttled()
        self._alarm(
            "AuthsignalThrottled",
            authsignal_429s,
            AUTHSIGNAL_THROTTLED_THRESHOLD,
            "Authsignal is answering 429 (its rate limit): sign-ins wait, then are refused",
        )
        if sign_in_protection:
            self._alarm(
                "SignInRequestsBlocked",
                sign_in_protection.metric("BlockedRequests").with_(period=PERIOD),
                WAF_BLOCKED_REQUESTS_THRESHOLD,
                "AWS WAF is blocking many requests to the user pool: a sign-in flood or an attack",
            )

        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{environment_name}-passwordless-sign-in"
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Sign-ins by outcome", width=24, left=[self.decision_metric(outcome) for outcome in OUTCOMES]
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function latency p99 (ms)",
                width=12,
                left=[
                    function.function.metric_duration(period=PERIOD, statistic="p99", label=name)
                    for name, function in functions.items()
                ],
            ),
            cloudwatch.GraphWidget(
                title="API requests and errors",
                width=12,
                left=[
                    requests,
                    http_api.metric_client_error(period=PERIOD, statistic="Sum"),
                    http_api.metric_server_error(period=PERIOD, statistic="Sum"),
                ],
            ),
        )
        # The custom-auth triggers share one function, so Lambda's own metrics no longer tell them
        # apart; their decisions do (dimension Trigger, lambdas/shared/log.py): every one, per trigger.
        by_trigger = cloudwatch.MathExpression(
            expression=f"SEARCH('{{{namespace},Environment,Trigger}} Environment=\"{environment_name}\"', 'Sum', "
            f"{int(PERIOD.to_seconds())})",
            using_metrics={},
            period=PERIOD,
            label="",
        )
        self.dashboard.add_widgets(cloudwatch.GraphWidget(title="Decisions by trigger", width=24, left=[by_trigger]))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Cognito throttles (this app client)",
                width=12,
                left=[
                    *(self.cognito_metric(name, label=name) for name in COGNITO_THROTTLES),
                    self.decision_metric("ContactVerificationThrottled"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Lambda throttles and Authsignal 429s",
                width=12,
                left=[
                    *(
                        function.function.metric_throttles(period=PERIOD, statistic="Sum", label=f"{name} throttles")
                        for name, function in functions.items()
                    ),
                    authsignal_429s,
                ],
            ),
        )
        self.dashboard.add_widgets(
            *(
                cloudwatch.GraphWidget(
                    title=f"Cognito {category} calls per 5 minutes (account and Region)",
                    width=8,
                    left=[usage[category]],
                    left_annotations=[
                        cloudwatch.HorizontalAnnotation(
                            value=quota_warning_calls(rps), label=f"{QUOTA_WARNING_PERCENT}% of the quota: alarm"
                        ),
                        cloudwatch.HorizontalAnnotation(value=quota_calls(rps), label=f"quota: {rps} per second"),
                    ],
                )
                for category, rps in cognito_quotas_rps.items()
            )
        )
        if sign_in_protection:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="User pool requests through AWS WAF",
                    width=24,
                    left=[
                        sign_in_protection.metric("AllowedRequests", label="allowed").with_(period=PERIOD),
                        sign_in_protection.metric("BlockedRequests", label="blocked").with_(period=PERIOD),
                        sign_in_protection.metric(
                            "BlockedRequests", rule=RATE_RULE, label="blocked: rate per IP"
                        ).with_(period=PERIOD),
                        sign_in_protection.metric(
                            "BlockedRequests", rule=IP_REPUTATION_RULE, label="blocked: IP reputation"
                        ).with_(period=PERIOD),
                    ],
                )
            )
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))

    def decision_metric(self, name: str, *, reason: str | None = None) -> cloudwatch.Metric:
        """A sign-in decision counted by the Lambdas' EMF log lines, for this environment (and
        this ``Reason`` when given)."""
        dimensions = {"Environment": self._environment_name} | ({"Reason": reason} if reason else {})
        return cloudwatch.Metric(
            namespace=self._namespace, metric_name=name, dimensions_map=dimensions, statistic="Sum", period=PERIOD
        )

    def cognito_metric(self, name: str, *, label: str | None = None) -> cloudwatch.Metric:
        """A metric Cognito publishes for this user pool and app client (``AWS/Cognito``)."""
        return cloudwatch.Metric(
            namespace="AWS/Cognito",
            metric_name=name,
            label=label,
            dimensions_map={
                "UserPool": self._user_pool.user_pool_id,
                "UserPoolClient": self._user_pool_client.user_pool_client_id,
            },
            statistic="Sum",
            period=PERIOD,
        )

    @staticmethod
    def usage_query(category: str) -> cloudwatch.MathExpression:
        """Calls in one Cognito API category per period, by every user pool of the account and
        Region (``AWS/Usage`` ``CallCount``, resource = the category). A Metrics Insights query,
        which names the category and the type and not the ``Service`` dimension: Cognito's pages
        give it two spellings, and an alarm on the wrong one would never fire."""
        return cloudwatch.MathExpression(
            expression=f"SELECT SUM(CallCount) FROM \"AWS/Usage\" WHERE Type = 'API' AND Resource = '{category}'",
            using_metrics={},
            period=PERIOD,
            label=f"{category} calls",
        )

    def authsignal_throttled(self) -> cloudwatch.MathExpression:
        """Every 429 Authsignal answered: each is either retried or not, and counted as such
        (``AuthsignalRetry`` or ``AuthsignalNotRetried``, reason ``throttled``), never both."""
        return cloudwatch.MathExpression(
            expression="FILL(retried, 0) + FILL(not_retried, 0)",
            period=PERIOD,
            label="Authsignal 429s",
            using_metrics={
                "retried": self.decision_metric("AuthsignalRetry", reason="throttled"),
                "not_retried": self.decision_metric("AuthsignalNotRetried", reason="throttled"),
            },
        )

    def _alarm(self, id_: str, metric: cloudwatch.IMetric, threshold: float, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            id_,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_name=f"{self._environment_name}-passwordless-{id_}",
            alarm_description=f"{self._environment_name}: {description}",
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)


def quota_calls(rps: int) -> float:
    """A quota of ``rps`` requests per second, as calls in one alarm period."""
    return rps * PERIOD.to_seconds()


def quota_warning_calls(rps: int) -> float:
    """The calls in one alarm period at which a category's usage alarm warns."""
    return quota_calls(rps) * QUOTA_WARNING_PERCENT / 100
