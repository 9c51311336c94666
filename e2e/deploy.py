"""Deploy one environment's synthesized app (``cdk.out``) into the local emulator, the way
``cdk deploy`` deploys it into AWS: publish its file assets to the bootstrap bucket, then create
(or update) its stacks through CloudFormation in dependency order, wait for each, and read the
outputs. Any failed resource stops it with a message naming the resource and the reason.

    scripts/deploy-local --endpoint-url http://127.0.0.1:4566 --env dev [--cdk-out cdk.out]
        [--authsignal-url http://127.0.0.1:PORT/v1]

What differs from a deploy to AWS, and why (each is a MiniStack 1.5.33 gap or a local need):

* the bootstrap version parameter is put first: there is no ``cdk bootstrap`` stack locally;
* ``--authsignal-url`` rewrites the functions' ``AUTHSIGNAL_URL`` in the copy of the template
  that is deployed, so the Lambdas reach a local fake; cdk.json and its validation (https only)
  are untouched;
* every function is checked to have code: MiniStack accepts a function whose S3 code is missing
  and answers every invoke with a mock;
* the HTTP APIs get their CORS configuration from the template again: MiniStack drops it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from e2e.emulator import ACCOUNT, REGION, ROOT, aws_client
from stacks.config import stack_name

BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
BOOTSTRAP_VERSION = "30"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
STACK_TIMEOUT_SECONDS = 120.0
AUTHSIGNAL_URL_VARIABLE = "AUTHSIGNAL_URL"


class DeployError(Exception):
    """The deployment failed; the message says what and where."""


@dataclass(frozen=True)
class StackArtifact:
    """One stack of the cloud assembly, as ``cdk deploy`` reads it from the manifests."""

    key: str  # the assembly directory and artifact id: unique across nested assemblies
    stack_name: str
    template_path: Path
    asset_manifests: tuple[Path, ...]
    depends_on: tuple[str, ...]  # keys of other stacks


@dataclass
class DeployedStack:
    stack_name: str
    outputs: dict[str, str]
    template: dict[str, Any]  # as deployed
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)  # logical id -> (type, physical id)


def read_assembly(cdk_out: Path, environment: str) -> list[StackArtifact]:
    """The stack of ``environment`` in ``cdk_out``, after any stack it depends on."""
    manifest_path = cdk_out / "manifest.json"
    if not manifest_path.is_file():
        raise DeployError(f"{cdk_out} is not a cloud assembly (no manifest.json): run scripts/synth {environment}")
    stacks = _stacks_of(cdk_out)
    wanted = stack_name(environment)
    if not any(stack.stack_name == wanted for stack in stacks.values()):
        raise DeployError(f"{cdk_out} has no stack {wanted}: run scripts/synth {environment}")
    return [stack for stack in _in_dependency_order(stacks) if stack.stack_name == wanted]


def _stacks_of(directory: Path) -> dict[str, StackArtifact]:
    manifest = json.loads((directory / "manifest.json").read_text())
    artifacts = manifest.get("artifacts", {})
    stacks: dict[str, StackArtifact] = {}
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type")
        if kind == "cdk:cloud-assembly":
            stacks |= _stacks_of(directory / artifact["properties"]["directoryName"])
        elif kind == "aws:cloudformation:stack":
            dependencies = artifact.get("dependencies", [])
            stacks[f"{directory}/{artifact_id}"] = StackArtifact(
                key=f"{directory}/{artifact_id}",
                stack_name=artifact["properties"].get("stackName", artifact_id),
                template_path=directory / artifact["properties"]["templateFile"],
                asset_manifests=tuple(directory / artifacts[name]["properties"]["file"] for name in dependencies
                                      if artifacts.get(name, {}).get("type") == "cdk:asset-manifest"),
                depends_on=tuple(f"{directory}/{name}" for name in dependencies
                                 if artifacts.get(name, {}).get("type") == "aws:cloudformation:stack"),
            )
    return stacks


def _in_dependency_order(stacks: dict[str, StackArtifact]) -> list[StackArtifact]:
    ordered: list[StackArtifact] = []
    state: dict[str, str] = {}

    def visit(key: str, path: tuple[str, ...]) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            raise DeployError("stacks depend on each other in a cycle: " + " -> ".join((*path, key)))
        if key not in stacks:
            raise DeployError(f"{path[-1]} depends on {key}, which is not in this assembly")
        state[key] = "visiting"
        for dependency in stacks[key].depends_on:
            visit(dependency, (*path, key))
        state[key] = "done"
        ordered.append(stacks[key])

    for key in sorted(stacks):
        visit(key, ())
    return ordered


def _substitute(text: str) -> str:
    """Resolve the placeholders of an asset manifest for the emulator's account and region."""
    return (text.replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)
            .replace("${AWS::Partition}", "aws"))


def _zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


class LocalDeployer:
    """Deploys stacks into the emulator at ``endpoint_url``."""

    def __init__(self, endpoint_url: str, *, say: Any = None) -> None:
        host = urlsplit(endpoint_url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise DeployError(f"refusing to deploy to {endpoint_url}: this script targets a local emulator only")
        self.endpoint_url = endpoint_url
        self.say = say or (lambda message: None)
        self.s3 = aws_client("s3", endpoint_url)
        self.cloudformation = aws_client("cloudformation", endpoint_url)
        self._buckets: set[str] = set()

    # --- the whole deployment ------------------------------------------------------------

    def deploy_environment(self, cdk_out: Path, environment: str, *,
                           authsignal_url: str | None = None) -> dict[str, DeployedStack]:
        """Deploy every stack of ``environment``; returns them by stack name."""
        aws_client("ssm", self.endpoint_url).put_parameter(
            Name=BOOTSTRAP_VERSION_PARAMETER, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True)
        deployed = {}
        for stack in read_assembly(cdk_out, environment):
            for asset_manifest in stack.asset_manifests:
                self.publish_assets(asset_manifest)
            template = json.loads(stack.template_path.read_text())
            if authsignal_url:
                rewritten = point_functions_at(template, authsignal_url)
                self.say(f"{stack.stack_name}: AUTHSIGNAL_URL of {rewritten} function(s) -> {authsignal_url}")
            deployed[stack.stack_name] = self.deploy_stack(stack.stack_name, template)
        return deployed

    def publish_assets(self, asset_manifest: Path) -> None:
        """Upload every file asset of ``asset_manifest`` (a directory is zipped) to its bucket."""
        manifest = json.loads(asset_manifest.read_text())
        if manifest.get("dockerImages"):
            raise DeployError(f"{asset_manifest.name} has Docker image assets, which the local emulator cannot run")
        for asset_hash, asset in manifest.get("files", {}).items():
            source = asset_manifest.parent / asset["source"]["path"]
            if asset["source"].get("packaging") == "zip":
                if not source.is_dir():
                    raise DeployError(f"asset {asset_hash[:12]} is missing: {source} is not a directory")
                body = _zip_directory(source)
            else:
                body = source.read_bytes()
            for destination in asset["destinations"].values():
                self._put(_substitute(destination["bucketName"]), _substitute(destination["objectKey"]), body)
            self.say(f"asset {asset_hash[:12]} ({asset.get('displayName', source.name)}): {len(body) // 1024} KiB")

    def deploy_stack(self, stack_name: str, template: dict[str, Any]) -> DeployedStack:
        """Create or update ``stack_name`` from ``template`` and wait until it is complete."""
        body = json.dumps(template).encode()
        bucket = _substitute("cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}")
        key = f"local-deploy/{stack_name}-{hashlib.sha256(body).hexdigest()[:16]}.json"
        self._put(bucket, key, body)
        arguments = dict(StackName=stack_name, TemplateURL=f"{self.endpoint_url}/{bucket}/{key}",
                         Capabilities=CAPABILITIES)
        started = time.monotonic()
        status = self._status(stack_name)
        if status == "ROLLBACK_COMPLETE":  # a failed first create: as cdk deploy does, delete it and start over
            self.cloudformation.delete_stack(StackName=stack_name)
            self._wait(stack_name, gone=True)
            status = None
        if status:
            try:
                self.cloudformation.update_stack(**arguments)
            except ClientError as error:
                if "No updates are to be performed" not in str(error):
                    raise DeployError(f"{stack_name}: {error}") from None
                self.say(f"{stack_name}: no changes")
                return self._described(stack_name, template)
        else:
            try:
                self.cloudformation.create_stack(**arguments)
            except ClientError as error:
                raise DeployError(f"{stack_name}: {error.response['Error'].get('Message', error)}") from None
        self._wait(stack_name)
        deployed = self._described(stack_name, template)
        self.say(f"{stack_name}: deployed in {time.monotonic() - started:.1f} s")
        return deployed

    # --- parts ---------------------------------------------------------------------------

    def _put(self, bucket: str, key: str, body: bytes) -> None:
        if bucket not in self._buckets:
            try:
                self.s3.create_bucket(Bucket=bucket)
            except ClientError as error:
                if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            self._buckets.add(bucket)
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)

    def _status(self, stack_name: str) -> str | None:
        """The stack's status, or None if there is no such stack (or only a deleted one)."""
        try:
            stacks = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
        except ClientError:
            return None
        live = [stack["StackStatus"] for stack in stacks if stack["StackStatus"] not in ("DELETE_COMPLETE",
                                                                                         "REVIEW_IN_PROGRESS")]
        return live[0] if live else None

    def _wait(self, stack_name: str, *, gone: bool = False) -> None:
        deadline = time.monotonic() + STACK_TIMEOUT_SECONDS
        while True:
            status = self._status(stack_name) or "DELETE_COMPLETE"
            if status == "DELETE_COMPLETE":
                if gone:
                    return
                raise DeployError(f"{stack_name}: the stack is gone")
            if not gone and status.endswith("_COMPLETE") and "ROLLBACK" not in status:
                return
            if status.endswith("_FAILED") or "ROLLBACK" in status:
                raise DeployError(f"{stack_name}: {status}\n" + self._failures(stack_name))
            if time.monotonic() > deadline:
                raise DeployError(f"{stack_name}: still {status} after {STACK_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.1)

    def _failures(self, stack_name: str) -> str:
        events = self.cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
        failed = [f"  {event['LogicalResourceId']} ({event['ResourceType']}): {event['ResourceStatus']} "
                  f"{event.get('ResourceStatusReason', '')}".rstrip()
                  for event in reversed(events) if event["ResourceStatus"].endswith("_FAILED")]
        return "\n".join(failed) or "  (no resource reported a failure)"

    def _described(self, stack_name: str, template: dict[str, Any]) -> DeployedStack:
        stack = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        resources = {
            summary["LogicalResourceId"]: (summary["ResourceType"], summary.get("PhysicalResourceId", ""))
            for page in self.cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
            for summary in page["StackResourceSummaries"]
        }
        deployed = DeployedStack(stack_name, {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
                                 template, resources)
        self._check_function_code(deployed)
        self._restore_cors(deployed, template)
        return deployed

    def _check_function_code(self, stack: DeployedStack) -> None:
        """MiniStack gap: a function whose S3 code is missing deploys, and then answers a mock."""
        lambda_client = aws_client("lambda", self.endpoint_url)
        for logical_id, (kind, physical_id) in stack.resources.items():
            if kind == "AWS::Lambda::Function":
                size = lambda_client.get_function(FunctionName=physical_id)["Configuration"].get("CodeSize", 0)
                if not size:
                    raise DeployError(f"{stack.stack_name}: {logical_id} was deployed without code")

    def _restore_cors(self, stack: DeployedStack, template: dict[str, Any]) -> None:
        """MiniStack gap: ``CorsConfiguration`` of an ``AWS::ApiGatewayV2::Api`` is dropped."""
        apis = None
        for logical_id, resource in template.get("Resources", {}).items():
            cors = resource.get("Properties", {}).get("CorsConfiguration")
            if resource.get("Type") != "AWS::ApiGatewayV2::Api" or not cors:
                continue
            apis = apis or aws_client("apigatewayv2", self.endpoint_url)
            apis.update_api(ApiId=stack.resources[logical_id][1], CorsConfiguration=cors)


def point_functions_at(template: dict[str, Any], authsignal_url: str) -> int:
    """Set ``AUTHSIGNAL_URL`` of every function that has one to ``authsignal_url``; returns how many."""
    count = 0
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if AUTHSIGNAL_URL_VARIABLE in variables:
            variables[AUTHSIGNAL_URL_VARIABLE] = authsignal_url
            count += 1
    if not count:
        raise DeployError(f"no function has {AUTHSIGNAL_URL_VARIABLE} to point at {authsignal_url}")
    return count


def set_authsignal_secret(endpoint_url: str, secret_id: str, secret_key: str) -> None:
    """Put the Authsignal secret key in the emulator's Secrets Manager (the stack creates it not set)."""
    aws_client("secretsmanager", endpoint_url).put_secret_value(SecretId=secret_id, SecretString=secret_key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/deploy-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", default="http://127.0.0.1:4566", help="the emulator (default %(default)s)")
    parser.add_argument("--env", default="dev", help="the environment to deploy (default %(default)s)")
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out",
                        help="the cloud assembly (default: the repository's cdk.out)")
    parser.add_argument("--authsignal-url", help="point the functions at this Authsignal API (e.g. a local fake)")
    parser.add_argument("--outputs-file", type=Path, help="also write the stacks' outputs here, as JSON")
    options = parser.parse_args(argv)
    started = time.monotonic()
    try:
        deployer = LocalDeployer(options.endpoint_url, say=print)
        stacks = deployer.deploy_environment(options.cdk_out, options.env, authsignal_url=options.authsignal_url)
    except DeployError as error:
        print(f"deploy failed: {error}", file=sys.stderr)
        return 1
    outputs = {name: stack.outputs for name, stack in stacks.items()}
    print(json.dumps(outputs, indent=2))
    if options.outputs_file:
        options.outputs_file.write_text(json.dumps(outputs, indent=2) + "\n")
    print(f"deployed {len(stacks)} stack(s) in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
