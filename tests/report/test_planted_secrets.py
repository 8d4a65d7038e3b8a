"""A found secret is never shown: secrets planted in every place an image can
hold one, a policy that prints every field (as is, lower- and upper-cased),
and every report format, evaluated by the real OPA.

The table is place x format: for each, no planted secret, nor its lower- or
upper-cased form, nor any 16-character piece of them, appears in any byte
regate wrote: the report, its log lines, the extracted document, the
compile cache and the bundle.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import replace
from pathlib import Path

import pytest

from engine.gatehelpers import NOW, regate
from regate.report import FORMATS
from support.images import AWS_SECRET as FILE_AWS_SECRET
from support.images import BAD, SECRET_VALUES, Entry, LayerSpec, build_image, f, write_docker_archive

POLICY = Path(__file__).parent / "planted" / "leak.regate"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_rng = random.Random(8)  # fixed: the same fake secrets every run; none was ever valid


def _fake(length: int, alphabet: str = _B64[:62]) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(length))


def _pem_body(lines: int) -> list[str]:
    return [_fake(64, _B64) for _ in range(lines)]


DB_PASSWORD = "hunter2"
AWS_SECRET = _fake(40)
SERVICE_TOKEN = _fake(28)
URL_PASSWORD = "pg-" + _fake(18)
LABEL_TOKEN = _fake(32)
NPM_TOKEN = _fake(24)
BEARER = _fake(40)
CMD_PASSWORD = _fake(20)
SUDOERS_PEM = _pem_body(4)
JSON_PEM = _pem_body(3)
GITHUB_IN_CONTENTS = "ghp_" + _fake(36)
DOCKERFILE_PASSWORD = _fake(18)
DOCKERFILE_TOKEN = _fake(30)
DOCKERFILE_AWS_KEY = "AKIA" + _fake(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

# place -> the secret values planted there.
PLACES = {
    "file": SECRET_VALUES,  # files regate scans but does not keep (support.images BAD)
    "env": (DB_PASSWORD, AWS_SECRET, SERVICE_TOKEN, URL_PASSWORD),
    "label": (LABEL_TOKEN,),
    "history": (NPM_TOKEN, BEARER),
    "command": (CMD_PASSWORD,),
    "captured-contents": (GITHUB_IN_CONTENTS,),
    "pem-body": tuple(SUDOERS_PEM),
    "json-escaped-pem-body": tuple(JSON_PEM),
    "dockerfile": (DOCKERFILE_PASSWORD, DOCKERFILE_TOKEN, DOCKERFILE_AWS_KEY),
}

# Given with --dockerfile when the document is extracted; the --image runs guess theirs from the history.
DOCKERFILE = f"""FROM debian:12 AS build
ARG API_TOKEN={DOCKERFILE_TOKEN}
ENV DB_PASSWORD {DOCKERFILE_PASSWORD}
RUN curl -u "app:$API_TOKEN" https://example.com && echo {DOCKERFILE_PASSWORD}
FROM debian:12
ENV AWS_ACCESS_KEY_ID={DOCKERFILE_AWS_KEY}
USER app
"""


def _pem(body: list[str], newline: str = "\n") -> str:
    return newline.join(["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----", ""])


def planted_image():
    spec = build_image(BAD, tag="registry.example.com/planted/app:1")
    config = dict(spec.config)
    config["Env"] = [*config["Env"], f"DB_PASSWORD={DB_PASSWORD}", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
                     f"SERVICE_TOKEN={SERVICE_TOKEN}", f"DATABASE_URL=postgres://app:{URL_PASSWORD}@db:5432/app"]
    config["Labels"] = {**config["Labels"], "com.example.api-token": LABEL_TOKEN}
    config["Cmd"] = ["/app/run", f"--password={CMD_PASSWORD}"]
    service_account = json.dumps({"type": "service_account", "private_key": _pem(JSON_PEM)})
    more = LayerSpec(
        f'RUN |1 NPM_TOKEN={NPM_TOKEN} /bin/sh -c curl -H "Authorization: Bearer {BEARER}" '
        "https://npm.example.com/setup # buildkit",
        (f("/etc/sudoers", f"root ALL=(ALL) ALL\n# {GITHUB_IN_CONTENTS}\n{_pem(SUDOERS_PEM)}"),
         f("/app/service-account.json", service_account + "\n"),
         Entry("/app/note.txt", b"see the key in the service account\n")),
    )
    # A value regate found in a file it does not keep, shown again without the context that made it a secret.
    echo = f"RUN /bin/sh -c printf %s {FILE_AWS_SECRET} | wc -c"
    return replace(spec, config=config, layers=(*spec.layers, more),
                   empty_history=(*spec.empty_history, (3, f"ARG NPM_TOKEN={NPM_TOKEN}"), (3, echo)))


def leaks(data: str, secrets: tuple[str, ...]) -> list[str]:
    """The planted secrets `data` shows: whole, or any 16 characters of them, in any case."""
    folded = data.lower()
    found = []
    for secret in secrets:
        pieces = [secret] if len(secret) < 16 else [secret[i:i + 16] for i in range(len(secret) - 15)]
        if any(piece.lower() in folded for piece in pieces):
            found.append(secret[:4] + "…")
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every format of `regate check --image` and of `regate check` on the document
    `regate extract --content` wrote, plus the document, cache and bundle bytes."""
    root = tmp_path_factory.mktemp("planted")
    archive = write_docker_archive(planted_image(), root / "planted.tar")
    env = {**os.environ, "REGATE_CACHE_DIR": str(root / "cache")}
    document = root / "document.json"
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    extracted = regate("extract", "--no-syft", "--image", archive, "--content", "/app/service-account.json",
                       "--content", "/app/.env", "--dockerfile", dockerfile, "-o", document, env=env)
    assert extracted.returncode == 0, extracted.stderr
    outputs: dict[str, list[str]] = {fmt: [] for fmt in FORMATS}
    for fmt in FORMATS:
        for target in (("--image", archive), (document,)):
            # --explain: the plan and its patch (entries of the document) must not show a secret either.
            result = regate("check", "--no-syft", "--explain", "--policy", POLICY, "--format", fmt, "--now", NOW,
                            *target, env=env)
            assert result.returncode == 1, result.stderr
            outputs[fmt].append(result.stdout + result.stderr)
    bundle = root / "bundle.tar.gz"
    assert regate("compile", POLICY, "-o", bundle, env=env).returncode == 0
    written = {"document": document.read_text() + extracted.stderr,
               "cache": "".join(p.read_bytes().decode("latin-1") for p in (root / "cache").rglob("*") if p.is_file()),
               "bundle": bundle.read_bytes().decode("latin-1")}
    return outputs, written, json.loads(document.read_text())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("place", PLACES)
def test_no_report_shows_a_planted_secret(runs, place, fmt):
    outputs, _, _ = runs
    for output in outputs[fmt]:
        assert leaks(output, PLACES[place]) == []


@pytest.mark.parametrize("what", ["document", "cache", "bundle"])
@pytest.mark.parametrize("place", PLACES)
def test_nothing_written_holds_a_planted_secret(runs, place, what):
    _, written, _ = runs
    assert leaks(written[what], PLACES[place]) == []


def test_every_place_is_reported_and_printed_masked(runs):
    """The policy did print each place (so the absence above means masking), and the
    image config's secrets are findings with their location."""
    outputs, _, document = runs
    text = outputs["json"][0]
    # A token keeps the prefix that tells its kind, a password nothing.
    for masked in ("DB_PASSWORD=*******", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET[:4]}{'*' * 36}",
                   f"NPM_TOKEN={'*' * len(NPM_TOKEN)}", f"--password={'*' * len(CMD_PASSWORD)}",
                   f"{GITHUB_IN_CONTENTS[:4]}{'*' * 36}", "-----END RSA PRIVATE KEY-----"):
        assert masked in text
    history = {entry["index"]: entry["created_by"][:7] for entry in document["image"]["history"]}
    found = {(s["kind"], s["location"], history.get(int(s["path"][8:]), "") if s["location"] == "history" else s["path"])
             for s in document["secrets"].values()}
    assert found >= {
        ("password", "env", "env:DB_PASSWORD"),
        ("aws-secret-key", "env", "env:AWS_SECRET_ACCESS_KEY"),
        ("generic-secret", "env", "env:SERVICE_TOKEN"),
        ("url-password", "env", "env:DATABASE_URL"),
        ("generic-secret", "label", "label:com.example.api-token"),
        ("generic-secret", "history", "ARG NPM"),
        ("generic-secret", "history", "RUN |1 "),
        ("auth-header", "history", "RUN |1 "),
        ("private-key", "file", "/etc/sudoers"),
        ("private-key", "file", "/app/service-account.json"),
        ("github-token", "file", "/etc/sudoers"),
        ("generic-secret", "dockerfile", "dockerfile:2"),
        ("password", "dockerfile", "dockerfile:3"),
        ("aws-access-key", "dockerfile", "dockerfile:6"),
    }
    assert document["image"]["dockerfile"]["mode"] == "actual"
    assert f"DB_PASSWORD {'*' * len(DOCKERFILE_PASSWORD)}" in outputs["json"][1]  # printed, masked
