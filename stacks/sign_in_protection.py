"""An AWS WAF web ACL in front of the user pool: unauthenticated sign-in floods stop at WAF.

One ``InitiateAuth`` with only a username runs the create trigger, which costs Authsignal calls
and can send an OTP; nothing else limits it per client. The web ACL blocks an IP address that
sends more than the configured number of requests to the pool in 5 minutes, and, first, addresses
on Amazon's IP reputation list (bots, known attackers). Every rule publishes CloudWatch metrics
(namespace ``AWS/WAFV2``, dimension ``WebACL`` = ``web_acl_name``) for the dashboard and alarm.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

RATE_RULE = "SignInRequestsPerIp"
IP_REPUTATION_RULE = "AWSManagedRulesAmazonIpReputationList"
RATE_WINDOW_SECONDS = 300


class SignInProtection(Construct):
    """A regional web ACL (per-IP rate limit, IP reputation list) associated with the user pool."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        environment_name: str,
        user_pool: cognito.IUserPool,
        requests_per_5_minutes_per_ip: int,
    ) -> None:
        super().__init__(scope, id_)
        self.web_acl_name = f"{environment_name}-passwordless-sign-in"
        self.rule_metric_names = {rule: f"{self.web_acl_name}-{rule}" for rule in (RATE_RULE, IP_REPUTATION_RULE)}
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=self.web_acl_name,
            description=f"Limits unauthenticated sign-in requests to the {environment_name} user pool",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=self._visibility(self.web_acl_name),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name=IP_REPUTATION_RULE,
                    priority=0,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name=IP_REPUTATION_RULE
                        )
                    ),
                    visibility_config=self._visibility(self.rule_metric_names[IP_REPUTATION_RULE]),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name=RATE_RULE,
                    priority=1,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=requests_per_5_minutes_per_ip,
                            aggregate_key_type="IP",
                            evaluation_window_sec=RATE_WINDOW_SECONDS,
                        )
                    ),
                    visibility_config=self._visibility(self.rule_metric_names[RATE_RULE]),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "UserPoolAssociation", resource_arn=user_pool.user_pool_arn, web_acl_arn=self.web_acl.attr_arn
        )

    def metric(self, name: str, *, rule: str = "ALL", label: str | None = None) -> cloudwatch.Metric:
        """A WAF metric (``AllowedRequests``, ``BlockedRequests``) of the web ACL or one rule."""
        return cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name=name,
            statistic="Sum",
            label=label,
            dimensions_map={
                "WebACL": self.web_acl_name,
                "Region": Stack.of(self).region,
                "Rule": self.rule_metric_names.get(rule, rule),
            },
        )

    @staticmethod
    def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
        )
