"""A deployed stack's CloudFormation outputs, for the tools an operator runs against AWS."""

from __future__ import annotations

from typing import Any


def stack_outputs(cloudformation: Any, stack: str, error: type[Exception]) -> dict[str, str]:
    """``stack``'s outputs, output name -> value; a stack that cannot be read raises ``error``
    with one sentence saying what to do."""
    from botocore.exceptions import ClientError

    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as problem:
        raise error(
            f"{stack}: {problem.response['Error'].get('Message', problem)} "
            "(deploy it first, or check your AWS credentials and region)"
        ) from None
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
