"""Secrets in an input document: found in the image config and captured files,
reported with their location, and masked wherever they appear."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from engine.gatehelpers import regate
from regate.extract.conceal import conceal
from regate.extract.document import build_document, schema_errors
from regate.extract.base import Extraction, Source
from regate.inputs import complete

# Fake values; none was ever a credential.
PASSWORD = "Corr3ct-Horse-77"
TOKEN = "ghp_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"
KEY_BODY = "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+ZKBQfUqIkjVvuqJtMLbHqk2R"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "secrets"


def document() -> dict:
    return complete({
        "image": {
            "env": {"DB_PASSWORD": PASSWORD, "PATH": "/usr/bin"},
            "labels": {"ci.token": TOKEN},
            "history": [{"index": 0, "created_by": f"ARG DB_PASSWORD={PASSWORD}", "empty_layer": True},
                        {"index": 1, "created_by": f"RUN |1 DB_PASSWORD={PASSWORD} /bin/sh -c make", "empty_layer": False}],
            "layers": [{"index": 0, "digest": "sha256:" + "a" * 64, "created_by": f"RUN |1 DB_PASSWORD={PASSWORD} /bin/sh -c make"}],
            "cmd": ["/app/run", "--db-password", PASSWORD],
        },
        "files": {
            "/app/key.pem": {"contents": f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}\n-----END PRIVATE KEY-----\n", "layer": "sha256:l1"},
            "/app/app.ini": {"contents": f"[db]\npassword = {PASSWORD.upper()}\n"},
        },
        "packages": {f"python:{PASSWORD}@1.0": {"name": PASSWORD, "version": "1.0", "type": "python"}},
        "misconfigurations": {"DS031:Dockerfile": {"id": "DS031", "target": "Dockerfile", "message": f"ENV DB_PASSWORD={PASSWORD}"}},
    })


def test_config_secrets_are_findings_with_their_location():
    doc = document()
    conceal(doc)
    found = {key: (s["kind"], s["location"], s["match"]) for key, s in doc["secrets"].items()}
    assert found == {
        "password:env:DB_PASSWORD": ("password", "env", "DB_PASSWORD=****************"),
        "github-token:label:ci.token": ("github-token", "label", "ci.token=ghp_" + "*" * 36),
        "password:history:0": ("password", "history", "ARG DB_PASSWORD=****************"),
        "password:history:1": ("password", "history", "RUN |1 DB_PASSWORD=**************** /bin/sh -c make"),
        "private-key:/app/key.pem:1": ("private-key", "file", "-----BEGIN PRIVATE KEY-----"),
    }
    assert doc["secrets"]["private-key:/app/key.pem:1"]["layer"] == "sha256:l1"


def test_every_found_value_is_masked_wherever_it_is_but_identifiers_stay():
    doc = document()
    found = conceal(doc)
    assert {PASSWORD, TOKEN, KEY_BODY} <= found
    text = json.dumps({k: v for k, v in doc.items() if k != "packages"})
    for secret in (PASSWORD, TOKEN, KEY_BODY):
        assert secret.lower() not in text.lower()
    assert doc["image"]["cmd"] == ["/app/run", "--db-password", "*" * len(PASSWORD)]
    assert doc["image"]["layers"][0]["created_by"] == "RUN |1 DB_PASSWORD=**************** /bin/sh -c make"
    assert doc["files"]["/app/app.ini"]["contents"] == "[db]\npassword = ****************\n"
    # The body keeps the DER header every key starts with, as a token keeps its kind's prefix.
    assert doc["files"]["/app/key.pem"]["contents"].splitlines()[1:] == ["MII" + "*" * (len(KEY_BODY) - 3),
                                                                         "-----END PRIVATE KEY-----"]
    # A package that happens to share the value keeps its name: policies match on it.
    assert list(doc["packages"]) == [f"python:{PASSWORD}@1.0"]
    assert schema_errors(doc) == []


def test_concealing_twice_changes_nothing():
    doc = document()
    conceal(doc)
    again = copy.deepcopy(doc)
    assert conceal(again) == frozenset() and again == doc


def test_a_baseline_is_compared_masked():
    current = Extraction(document(), Source("test", "test"))
    baseline = document()
    baseline["image"]["env"]["DB_PASSWORD"]["value"] = "0ld-Passw0rd-1234"
    built = build_document([current], baseline)
    assert "0ld-Passw0rd-1234" not in json.dumps(built)
    assert [c["path"] for c in built["changes"] if c["path"].startswith("/image/env")] == ["/image/env/DB_PASSWORD/value"]


def test_schema_errors_never_echo_the_offending_value(tmp_path):
    policy = tmp_path / "p.regate"
    policy.write_text('policy "p" {\n  rule r warn {\n    for s in secrets\n    message "{s.match}"\n  }\n}\n')
    result = regate("check", "--policy", policy, FIXTURES / "bad_doc_with_secret.json")
    assert result.returncode == 2 and result.stdout == ""
    assert "/image/env/AWS_SECRET_ACCESS_KEY/value: is not a valid regate input document: expected string, found an array" \
        in result.stderr
    for secret in ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"):
        assert secret[4:20] not in result.stderr


def test_error_messages_mask_the_credentials_they_quote(tmp_path):
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
              "config": {"ExposedPorts": {f"{TOKEN}/tcp": {}}}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = regate("extract", path)
    assert result.returncode == 2 and "is not a port" in result.stderr
    assert TOKEN[4:] not in result.stderr and "ghp_****" in result.stderr
