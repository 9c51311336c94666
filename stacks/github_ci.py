"""The roles GitHub Actions uses to deploy and diff, deployed once per AWS account with
``npx cdk deploy -c ci=github -c githubRepository=OWNER/REPO PasswordlessGitHubCi``.

No long-lived keys: workflows exchange GitHub's OIDC token for a role, and each role can do only
its one job. ``passwordless-deploy-ENV`` may only assume the CDK bootstrap roles of this account
(the CLI deploys through them), and only a job that names the GitHub environment ``ENV`` of this
repository gets it, so the environment's protection rules (reviewers, branches) guard it.
``passwordless-diff`` assumes nothing: it reads the deployed templates of this app's stacks and
nothing else. The bootstrap lookup role it could use instead holds ReadOnlyAccess, which reads
Cognito users and table items; the CLI falls back to the diff role's own credentials when it
cannot assume the lookup role. Only pull-request runs of this repository get it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Aws, CfnOutput, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import ENVIRONMENTS_KEY, ConfigError, stack_name

SELECTOR_KEY = "ci"
REPOSITORY_KEY = "githubRepository"
ENVIRONMENTS_CI_KEY = "githubEnvironments"
PROVIDER_KEY = "githubOidcProviderArn"
SHARED_ACCOUNT_KEY = "allowSharedAccount"
QUALIFIER_KEY = "@aws-cdk/core:bootstrapQualifier"
CONTEXT_KEYS = (SELECTOR_KEY, REPOSITORY_KEY, ENVIRONMENTS_CI_KEY, PROVIDER_KEY, SHARED_ACCOUNT_KEY)

STACK_NAME = "PasswordlessGitHubCi"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
DEFAULT_QUALIFIER = "hnb659fds"
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")

# OWNER/REPO, or the immutable OWNER@ID/REPO@ID that GitHub puts in the sub claim of
# repositories created (or opted in) since July 2026.
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:@\d+)?/[A-Za-z0-9._-]{1,100}(?:@\d+)?")
_PROVIDER_ARN = re.compile(rf"arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}")
_QUALIFIER = re.compile(r"[a-z0-9]{1,10}")


@dataclass(frozen=True)
class GitHubCiConfig:
    """What the CI roles stack needs; every field is valid once constructed."""

    repository: str
    environments: tuple[str, ...]
    provider_arn: str | None
    qualifier: str
    released: frozenset[str] = frozenset()  # production environments: deployed from release tags too


def select_github_ci(context: Callable[[str], Any]) -> GitHubCiConfig | None:
    """The CI roles configuration when ``-c ci=github`` is given, else None (build an environment)."""
    kind = context(SELECTOR_KEY)
    if kind is None:
        return None
    if kind != "github":
        raise ConfigError(f"{SELECTOR_KEY} must be github (the only CI with roles as code), got {kind!r}")
    repository = context(REPOSITORY_KEY)
    if not isinstance(repository, str) or not _REPOSITORY.fullmatch(repository):
        raise ConfigError(
            f"{REPOSITORY_KEY} must be OWNER/REPO (or OWNER@ID/REPO@ID as in your OIDC sub claim), got {repository!r}"
        )
    entries = context(ENVIRONMENTS_KEY)
    known = list(entries) if isinstance(entries, Mapping) else []
    environments = _environment_names(context(ENVIRONMENTS_CI_KEY), known)
    provider_arn = context(PROVIDER_KEY)
    if provider_arn is not None and (not isinstance(provider_arn, str) or not _PROVIDER_ARN.fullmatch(provider_arn)):
        raise ConfigError(
            f"{PROVIDER_KEY} must be the ARN of this account's {GITHUB_OIDC_HOST} OIDC provider, got {provider_arn!r}"
        )
    qualifier = context(QUALIFIER_KEY) or DEFAULT_QUALIFIER
    if not isinstance(qualifier, str) or not _QUALIFIER.fullmatch(qualifier):
        raise ConfigError(
            f"{QUALIFIER_KEY} must be the CDK bootstrap qualifier (lower-case letters and digits, "
            f"at most 10), got {qualifier!r}"
        )
    released = frozenset(
        name for name in environments if isinstance(entries[name], Mapping) and entries[name].get("production") is True
    )
    allow_shared_account = _flag(SHARED_ACCOUNT_KEY, context(SHARED_ACCOUNT_KEY))
    _refuse_production_beside_others(environments, released, entries, allow_shared_account)
    return GitHubCiConfig(
        repository=repository,
        environments=environments,
        provider_arn=provider_arn,
        qualifier=qualifier,
        released=released,
    )


def _environment_names(raw: Any, known: list[str]) -> tuple[str, ...]:
    """The environments deployed to this account: ``-c githubEnvironments=dev,staging``.

    Required, never "all": a dev deploy role in the production account could deploy anything there
    from a job that only the dev environment's (weaker) protection rules guard.
    """
    listed = ", ".join(known) or "none"
    if raw is None:
        raise ConfigError(
            f"{ENVIRONMENTS_CI_KEY} is required: the environments deployed to this account, "
            f"comma-separated (from {listed})"
        )
    if isinstance(raw, str):
        names = [name.strip() for name in raw.split(",") if name.strip()]
    elif isinstance(raw, list) and all(isinstance(name, str) for name in raw):
        names = raw
    else:
        names = []
    if not names or any(name not in known for name in names) or len(set(names)) != len(names):
        raise ConfigError(
            f"{ENVIRONMENTS_CI_KEY} must name environments of cdk.json, comma-separated (from {listed}), got {raw!r}"
        )
    return tuple(names)


def _flag(key: str, raw: Any) -> bool:
    """A true/false context value: ``-c key=true`` arrives as a string, cdk.json gives a bool."""
    if raw in (None, False, "false"):
        return False
    if raw in (True, "true"):
        return True
    raise ConfigError(f"{key} must be true or false, got {raw!r}")


def _refuse_production_beside_others(
    environments: tuple[str, ...], production: frozenset[str], entries: Any, allow_shared_account: bool
) -> None:
    """One roles stack lives in one account, and each of its deploy roles may assume that account's
    bootstrap roles: a dev deploy role beside prod's can change production from any push to main.
    So production and other environments never share a roles stack while their accounts are the
    same or unknown, unless ``-c allowSharedAccount=true`` says that is meant; environments whose
    accounts differ belong to roles stacks of their own accounts."""
    others = [name for name in environments if name not in production]
    if not production or not others:
        return
    accounts = {
        name: entries[name].get("account") if isinstance(entries[name], Mapping) else None for name in environments
    }
    prod_name = sorted(production)[0]
    different = [
        name for name in others if accounts[name] and accounts[prod_name] and accounts[name] != accounts[prod_name]
    ]
    if different:
        raise ConfigError(
            f"{ENVIRONMENTS_CI_KEY} mixes {prod_name} (account {accounts[prod_name]}) with "
            f"{different[0]} (account {accounts[different[0]]}): deploy {STACK_NAME} once per "
            f"account, each naming only the environments that account hosts"
        )
    if not allow_shared_account:
        raise ConfigError(
            f"{SHARED_ACCOUNT_KEY} must be true to give the production environment {prod_name} and "
            f"{', '.join(others)} deploy roles in one account (their accounts are the same or "
            f"unknown): a push to main could then change production; better, give production an "
            f"account of its own"
        )


# The refs the deploy workflow deploys from: main (pushes, manual runs) and, for production, the
# release tags. A job on any other branch that names the environment gets no role, whatever the
# GitHub environment's own branch rules say.
DEPLOY_REFS = ("refs/heads/main",)
RELEASE_REFS = ("refs/tags/v*",)


def deploy_trust(repository: str, environment: str, *, released: bool = False) -> dict[str, Any]:
    """Only a job of this repository that names the GitHub environment ``environment`` and runs
    on main (or, for a ``released`` environment, on a release tag ``v*``)."""
    return {
        "StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{environment}",
        },
        "StringLike": {f"{GITHUB_OIDC_HOST}:ref": list(DEPLOY_REFS + (RELEASE_REFS if released else ()))},
    }


def diff_trust(repository: str) -> dict[str, Any]:
    """Only a ``pull_request`` run of this repository.

    GitHub issues no OIDC token to ``pull_request`` runs from forks (their token permissions are
    read-only; keep the private-repository setting that sends write tokens to forks off). The ref
    condition also refuses ``pull_request_target`` and other events, whose ref is a branch.
    """
    return {
        "StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:pull_request",
        },
        "StringLike": {f"{GITHUB_OIDC_HOST}:ref": "refs/pull/*/merge"},
    }


class GitHubCiStack(Stack):
    """The GitHub OIDC provider (or the account's existing one) and one role per CI purpose."""

    def __init__(self, scope: Construct, *, config: GitHubCiConfig) -> None:
        super().__init__(scope, STACK_NAME, description="GitHub Actions roles for the passwordless app (OIDC, no keys)")
        provider_arn = (
            config.provider_arn
            or iam.OidcProviderNative(
                self,
                "GitHubOidcProvider",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_ids=[STS_AUDIENCE],
            ).oidc_provider_arn
        )

        account, partition = Aws.ACCOUNT_ID, Aws.PARTITION
        bootstrap_roles = [
            f"arn:{partition}:iam::{account}:role/cdk-{config.qualifier}-{role}-role-{account}-*"
            for role in BOOTSTRAP_ROLES
        ]
        self.deploy_roles: dict[str, iam.Role] = {}
        for environment in config.environments:
            role = iam.Role(
                self,
                f"Deploy-{environment}",
                role_name=f"passwordless-deploy-{environment}",
                description=f"GitHub Actions deploys {stack_name(environment)} through the CDK bootstrap roles",
                assumed_by=iam.WebIdentityPrincipal(
                    provider_arn, deploy_trust(config.repository, environment, released=environment in config.released)
                ),
            )
            role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=bootstrap_roles))
            _acknowledge_wildcards(
                role,
                [_nag_resource(config.qualifier, name) for name in BOOTSTRAP_ROLES],
                (
                    "The CDK bootstrap roles end in their region (cdk bootstrap names them so); this account's four "
                    "bootstrap roles are the whole grant, and they trust only this account."
                ),
            )
            CfnOutput(
                self,
                f"DeployRoleArn{environment.replace('-', '')}",
                value=role.role_arn,
                description=f"repository variable AWS_DEPLOY_ROLE_ARN_{environment.upper().replace('-', '_')}",
            )
            self.deploy_roles[environment] = role

        self.diff_role = iam.Role(
            self,
            "Diff",
            role_name="passwordless-diff",
            description="GitHub Actions pull requests read the deployed templates of this app's stacks",
            assumed_by=iam.WebIdentityPrincipal(provider_arn, diff_trust(config.repository)),
        )
        self.diff_role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
                resources=[
                    f"arn:{partition}:cloudformation:*:{account}:stack/{stack_name(environment)}/*"
                    for environment in config.environments
                ],
            )
        )
        _acknowledge_wildcards(
            self.diff_role,
            [
                f"arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/{stack_name(environment)}/*"
                for environment in config.environments
            ],
            (
                "CloudFormation appends a generated id to a stack's ARN and the stack may live in any region; "
                "the grant is read-only (DescribeStacks, GetTemplate) and names this app's stacks only."
            ),
        )
        CfnOutput(
            self, "DiffRoleArn", value=self.diff_role.role_arn, description="repository variable AWS_DIFF_ROLE_ARN"
        )


def _nag_resource(qualifier: str, role: str) -> str:
    """A bootstrap role's ARN pattern as cdk-nag spells the finding it raises for it."""
    return f"arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-{qualifier}-{role}-role-<AWS::AccountId>-*"


def _acknowledge_wildcards(role: iam.Role, resources: list[str], reason: str) -> None:
    """Acknowledge cdk-nag's IAM5 for exactly these resource patterns of ``role``, nothing broader."""
    for resource in resources:
        Validations.of(role).acknowledge(
            Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]", reason=reason)
        )
