"""The CI roles stack (``-c ci=github``): who may assume each role, and what each role may do,
exactly as synthesized; cdk-nag and cfn-lint judge it like the environment stacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint

from stacks.config import ConfigError
from stacks.github_ci import GitHubCiStack, select_github_ci
from stacks.nag import unacknowledged_findings
from tests.conftest import CONTEXT
from tests.infra.conftest import resources

REPOSITORY = "octo-org/octo-repo"
EXISTING_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
CREATED_PROVIDER = {"Ref": "GitHubOidcProvider7EBF861F"}


def ci_context(**overrides: Any) -> dict[str, Any]:
    return {**CONTEXT, "ci": "github", "githubRepository": REPOSITORY, "githubEnvironments": "dev,staging", **overrides}


def synthesize(tmp_path: Path, **overrides: Any) -> tuple[dict[str, Any], str]:
    context = ci_context(**overrides)
    config = select_github_ci(context.get)
    assert config is not None
    app = cdk.App(outdir=str(tmp_path), analytics_reporting=False, context=context)
    stack = GitHubCiStack(app, config=config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    assembly = app.synth()
    return json.loads(Path(assembly.directory, stack.template_file).read_text()), assembly.directory


@pytest.fixture(scope="module")
def synthesized_ci(tmp_path_factory) -> tuple[dict[str, Any], str]:
    return synthesize(tmp_path_factory.mktemp("ci.out"))


@pytest.fixture(scope="module")
def ci_template(synthesized_ci) -> dict[str, Any]:
    return synthesized_ci[0]


def role(template: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [
        value["Properties"]
        for value in resources(template, "AWS::IAM::Role").values()
        if value["Properties"]["RoleName"] == name
    ]
    return found


def policy_of(template: dict[str, Any], role_name: str) -> dict[str, Any]:
    (logical_id,) = [
        key
        for key, value in resources(template, "AWS::IAM::Role").items()
        if value["Properties"]["RoleName"] == role_name
    ]
    (found,) = [
        value["Properties"]["PolicyDocument"]
        for value in resources(template, "AWS::IAM::Policy").values()
        if value["Properties"]["Roles"] == [{"Ref": logical_id}]
    ]
    return found


def account_arn(*parts: str) -> dict[str, Any]:
    """``arn:PARTITION:parts[0]ACCOUNT parts[1]...`` as CDK joins it."""
    joined: list[Any] = ["arn:", {"Ref": "AWS::Partition"}]
    for index, part in enumerate(parts):
        joined += ([{"Ref": "AWS::AccountId"}] if index else []) + [part]
    return {"Fn::Join": ["", joined]}


def test_deploy_role_trusts_only_its_github_environment_of_this_repository(ci_template):
    for environment in ("dev", "staging"):
        assert role(ci_template, f"passwordless-deploy-{environment}")["AssumeRolePolicyDocument"] == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": CREATED_PROVIDER},
                    "Condition": {
                        "StringEquals": {
                            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                            "token.actions.githubusercontent.com:sub": f"repo:{REPOSITORY}:environment:{environment}",
                        },
                        "StringLike": {
                            # a branch pushed with a job naming the environment gets nothing, whatever the
                            # GitHub environment's own branch rules were left at
                            "token.actions.githubusercontent.com:ref": ["refs/heads/main"],
                        },
                    },
                }
            ],
        }


def test_a_production_deploy_role_trusts_main_and_release_tags_only(tmp_path):
    template, _ = synthesize(tmp_path, githubEnvironments="prod")

    condition = role(template, "passwordless-deploy-prod")["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert condition["StringEquals"]["token.actions.githubusercontent.com:sub"] == f"repo:{REPOSITORY}:environment:prod"
    assert condition["StringLike"] == {"token.actions.githubusercontent.com:ref": ["refs/heads/main", "refs/tags/v*"]}


def test_deploy_role_may_only_assume_this_accounts_cdk_bootstrap_roles(ci_template):
    assert policy_of(ci_template, "passwordless-deploy-dev") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": [
                    account_arn(":iam::", f":role/cdk-hnb659fds-{kind}-role-", "-*")
                    for kind in ("deploy", "file-publishing", "image-publishing", "lookup")
                ],
            }
        ],
    }


def test_diff_role_trusts_only_pull_request_runs_of_this_repository(ci_template):
    assert role(ci_template, "passwordless-diff")["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": CREATED_PROVIDER},
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": f"repo:{REPOSITORY}:pull_request",
                    },
                    # pull_request_target and pushes carry a branch ref; a pull_request run, the merge ref
                    "StringLike": {"token.actions.githubusercontent.com:ref": "refs/pull/*/merge"},
                },
            }
        ],
    }


def test_diff_role_reads_only_the_deployed_templates_of_its_environments(ci_template):
    assert policy_of(ci_template, "passwordless-diff") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
                "Resource": [
                    account_arn(":cloudformation:*:", f":stack/{environment}-Passwordless/*")
                    for environment in ("dev", "staging")
                ],
            }
        ],
    }


def test_no_role_has_managed_policies_or_other_grants(ci_template):
    roles = resources(ci_template, "AWS::IAM::Role")
    assert sorted(value["Properties"]["RoleName"] for value in roles.values()) == [
        "passwordless-deploy-dev",
        "passwordless-deploy-staging",
        "passwordless-diff",
    ]
    assert all(
        set(value["Properties"]) == {"AssumeRolePolicyDocument", "Description", "RoleName"} for value in roles.values()
    )
    assert len(resources(ci_template, "AWS::IAM::Policy")) == len(roles)
    assert set(value["Type"] for value in ci_template["Resources"].values()) == {
        "AWS::IAM::OIDCProvider",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
    }


def test_the_stack_creates_githubs_oidc_provider_for_sts(ci_template):
    assert [value["Properties"] for value in resources(ci_template, "AWS::IAM::OIDCProvider").values()] == [
        {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]}
    ]


def test_an_existing_oidc_provider_is_used_instead_of_a_new_one(tmp_path):
    template, _ = synthesize(tmp_path, githubOidcProviderArn=EXISTING_PROVIDER)
    assert resources(template, "AWS::IAM::OIDCProvider") == {}
    statement = role(template, "passwordless-diff")["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Federated": EXISTING_PROVIDER}


def test_the_immutable_subject_form_of_the_repository_is_trusted_as_given(tmp_path):
    template, _ = synthesize(tmp_path, githubRepository="octo-org@123456/octo-repo@456789", githubEnvironments="prod")
    condition = role(template, "passwordless-deploy-prod")["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert (
        condition["StringEquals"]["token.actions.githubusercontent.com:sub"]
        == "repo:octo-org@123456/octo-repo@456789:environment:prod"
    )


def test_the_ci_stack_passes_aws_solutions_checks(synthesized_ci):
    assert unacknowledged_findings(synthesized_ci[1]) == []


def test_the_ci_stack_passes_cfn_lint(ci_template):
    matches = lint(json.dumps(ci_template), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [f"{match.rule.id} {match.message}" for match in matches] == []


def test_without_ci_selected_no_ci_stack_is_configured():
    assert select_github_ci(CONTEXT.get) is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ci": "gitlab"}, "ci must be github"),
        ({"githubRepository": None}, "githubRepository must be OWNER/REPO"),
        ({"githubRepository": "octo-repo"}, "githubRepository must be OWNER/REPO"),
        ({"githubRepository": "octo-org/octo-repo:environment:prod"}, "githubRepository must be OWNER/REPO"),
        ({"githubRepository": "octo-org/*"}, "githubRepository must be OWNER/REPO"),
        ({"githubEnvironments": None}, "githubEnvironments is required"),
        ({"githubEnvironments": "dev,no-such-environment"}, "githubEnvironments must name environments of cdk.json"),
        ({"githubEnvironments": "dev,dev"}, "githubEnvironments must name environments of cdk.json"),
        (
            {"githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/example.com"},
            "githubOidcProviderArn must be",
        ),
        ({"@aws-cdk/core:bootstrapQualifier": "Bad*"}, "@aws-cdk/core:bootstrapQualifier must be"),
        ({"allowSharedAccount": "yes"}, "allowSharedAccount must be true or false"),
    ],
)
def test_a_bad_ci_setting_stops_synth_with_one_line_naming_the_key(overrides, message):
    with pytest.raises(ConfigError) as error:
        select_github_ci(ci_context(**overrides).get)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def environments(**entries: dict[str, Any]) -> dict[str, Any]:
    """A temporary cdk.json ``environments``: each entry is settings beside dev's."""
    return {name: {**CONTEXT["environments"]["dev"], **settings} for name, settings in entries.items()}


PRODUCTION = {
    "production": True,
    "account": "111111111111",
    "region": "eu-west-1",
    "corsOrigins": ["https://app.example.org"],
}


@pytest.mark.parametrize(
    "other", [{}, {"account": "111111111111", "region": "eu-west-1"}], ids=["account_unknown", "same_account"]
)
def test_production_beside_another_environment_in_one_roles_stack_is_refused(other):
    context = ci_context(environments=environments(live=PRODUCTION, test=other), githubEnvironments="test,live")

    with pytest.raises(ConfigError) as error:
        select_github_ci(context.get)

    message = str(error.value)
    assert message.startswith("allowSharedAccount must be true") and "\n" not in message
    assert "live" in message and "test" in message


@pytest.mark.parametrize("allowed", ["true", True])
def test_allow_shared_account_lets_production_share_a_roles_stack(allowed):
    context = ci_context(
        environments=environments(live=PRODUCTION, test={}), githubEnvironments="test,live", allowSharedAccount=allowed
    )

    config = select_github_ci(context.get)

    assert config is not None and set(config.environments) == {"test", "live"}


@pytest.mark.parametrize("allowed", [None, "false"])
def test_environments_of_one_kind_share_a_roles_stack_without_the_flag(allowed):
    context = ci_context(
        environments=environments(live=PRODUCTION, live2=PRODUCTION, a={}, b={}), allowSharedAccount=allowed
    )

    for names in ("a,b", "live,live2"):
        assert select_github_ci({**context, "githubEnvironments": names}.get) is not None


def test_production_beside_an_environment_of_another_account_is_refused_even_when_allowed():
    other = {"account": "222222222222", "region": "eu-west-1"}
    context = ci_context(
        environments=environments(live=PRODUCTION, test=other),
        githubEnvironments="test,live",
        allowSharedAccount="true",
    )

    with pytest.raises(ConfigError) as error:
        select_github_ci(context.get)

    assert str(error.value).startswith("githubEnvironments mixes live (account 111111111111) with test")


def test_the_app_with_ci_selected_synthesizes_only_the_ci_stack(tmp_path):
    import app

    app.main(cdk.App(outdir=str(tmp_path), analytics_reporting=False, context=ci_context()))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    stacks = [
        name for name, artifact in manifest["artifacts"].items() if artifact["type"] == "aws:cloudformation:stack"
    ]
    assert stacks == ["PasswordlessGitHubCi"]
