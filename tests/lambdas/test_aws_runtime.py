"""The functions' AWS clients (shared/aws.py): one botocore session per container, one client
per service made once, and no function module making clients any other way."""

from __future__ import annotations

import ast
from pathlib import Path

from shared import aws

from tests.lambdas.support import REGION, cold_start

LAMBDAS = Path(aws.__file__).resolve().parents[1]


def test_a_client_is_made_once_per_service_and_kept() -> None:
    first = aws.client("secretsmanager")

    assert aws.client("secretsmanager") is first
    assert aws.services() == ["secretsmanager"]


def test_every_client_comes_from_the_one_session() -> None:
    session = aws.session()
    clients = [aws.client(service) for service in ("secretsmanager", "dynamodb", "cognito-idp")]

    assert aws.session() is session
    assert aws.services() == ["cognito-idp", "dynamodb", "secretsmanager"]
    # a client's region and credentials are its session's: nothing per client, nothing hardcoded
    assert {client.meta.region_name for client in clients} == {REGION}
    assert {client._request_signer._credentials.access_key for client in clients} == {
        session.get_credentials().access_key
    }


def test_every_client_gives_up_well_before_cognito_does() -> None:
    # Cognito waits 5 s for a trigger; botocore's defaults wait 60 s per try, and retry without
    # knowing the invocation's deadline: one try of at most 1.5 s
    for service in ("secretsmanager", "dynamodb", "cognito-idp"):
        config = aws.client(service).meta.config
        assert (config.connect_timeout, config.read_timeout) == (0.5, 1.0)
        assert config.retries == {"total_max_attempts": 1, "mode": "standard"}


def test_a_new_cold_start_makes_its_clients_again() -> None:
    first = aws.client("secretsmanager")
    cold_start()

    assert aws.services() == []
    assert aws.client("secretsmanager") is not first


def test_no_function_module_makes_aws_clients_but_shared_aws() -> None:
    # a boto3.client() or a session of its own would load boto3 (s3transfer, resources) and a
    # second copy of botocore's data on the first invocation: see shared/aws.py
    offenders = []
    for path in sorted(LAMBDAS.rglob("*.py")):
        if path == Path(aws.__file__).resolve():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [
                f"{path.relative_to(LAMBDAS)}: {name}"
                for name in names
                if name.split(".")[0] in ("boto3", "botocore", "aioboto3")
            ]
    assert offenders == []
