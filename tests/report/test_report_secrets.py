"""No report format prints a secret, even when a policy message interpolates
the field that holds it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.gatehelpers import NOW, regate, write_json, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.inputs import complete
from regate.report import FORMATS
from regate.extract.secrets import mask_json, masker, mask_secrets as redact_text
from regate.report.redact import redact

# Fake credentials in the shapes the scanner knows; none was ever valid.
GITHUB_TOKEN = "ghp_T3stT0kenN0tRealXXXXXXXXXXXXXXXXXXXX"
AWS_KEY_ID = "AKIAQ7EXAMPLETESTKEY"
SECRETS = (GITHUB_TOKEN, AWS_KEY_ID)

LEAKY_POLICY = """policy "leaky" {
  rule token_in_env stop {
    for e in image.env where e.name == "GITHUB_TOKEN"
    message "GITHUB_TOKEN={e.value}"
  }

  rule label warn {
    for l in image.labels
    message "label {l.name} is {l.value}"
  }

  rule secret stop {
    for s in secrets
    message "{s.kind} at {s.path}: {s.match}"
  }
}
"""


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaky")
    policy = write_policy(root / "policy", LEAKY_POLICY)
    document = complete({
        "image": {"reference": "registry.example.com/app:1",
                  "env": {"GITHUB_TOKEN": GITHUB_TOKEN},
                  "labels": {"build.key": f"aws_access_key_id={AWS_KEY_ID}"}},
        "secrets": {"github-token:/app/.env:1": {"path": "/app/.env", "line": 1, "match": "GITHUB_TOKEN=ghp_****"}},
    })
    return policy, write_json(root / "input.json", document)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_prints_a_planted_secret(leaky, fmt):
    policy, document = leaky
    result = regate("check", "--policy", policy, "--format", fmt, "--now", NOW, document)
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    for secret in SECRETS:
        assert secret not in output
        # Only the masked form shows: a prefix to tell which credential, then stars.
        assert secret[:4] + "*" * (len(secret) - 4) in output


def test_redaction_masks_every_known_shape_and_leaves_the_rest():
    assert redact_text(f"token {GITHUB_TOKEN} and {AWS_KEY_ID}.") == \
        f"token ghp_{'*' * (len(GITHUB_TOKEN) - 4)} and AKIA{'*' * 16}."
    assert redact_text("CVE-2024-0727 in openssl 3.0.11") == "CVE-2024-0727 in openssl 3.0.11"
    # Masked text stays masked: redaction is idempotent.
    once = redact_text(f"-----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyu {GITHUB_TOKEN}")
    assert redact_text(once) == once and GITHUB_TOKEN not in once and "MIIEpAIB" not in once
    assert redact({"k": [GITHUB_TOKEN, 1, None], GITHUB_TOKEN: True}) == \
        {"k": [redact_text(GITHUB_TOKEN), 1, None], redact_text(GITHUB_TOKEN): True}


def test_redaction_returns_a_decision_without_secrets_as_it_is_and_masks_one_with_a_secret():
    clean = {"final_action": "STOP", "findings": [{"message": "curl 7.88.1 is denied", "key": "deb:curl"}]}
    assert redact(clean) is clean
    assert redact(clean, [GITHUB_TOKEN]) is clean
    for leaking in ({"findings": [{"message": GITHUB_TOKEN}]}, {"findings": [{GITHUB_TOKEN: "x"}]},
                    {"findings": [{"message": f"token {AWS_KEY_ID}"}], "final_action": "STOP"}):
        assert not any(secret in str(redact(leaking)) for secret in SECRETS)
    assert "hunter2-hunter2" not in str(redact({"message": "pw=hunter2-hunter2"}, ["hunter2-hunter2"]))


def _secret_texts() -> list[str]:
    """Every text of the detectors' cases (tests/extract/cases/secrets.yaml), and the variables as
    an image config's `NAME=value`: secrets and near misses."""
    cases = yaml.safe_load((Path(__file__).parent.parent / "extract" / "cases" / "secrets.yaml").read_text())
    texts = [f"{v['name']}={v['value']}" for v in cases["variables"]]
    return texts + [case["text"] for case in cases["masking"]] + list(SECRETS)


@pytest.mark.parametrize("text", _secret_texts())
def test_redaction_finds_a_secret_wherever_it_stands_in_a_decision(text):
    """The search that tells a decision holds no secret (over its serialised JSON, or over each
    string when one needs an escape) never lets through what masking each string would change."""
    unmasked = {"x": "A"}
    for decision in ({"findings": [{"message": text, "key": "k", "count": 3}], "final_action": "STOP"},
                     {"findings": [{text: 1.5, "n": None}], "other": [True, text]},
                     {"image": {"labels": [text, "word"], "digits": 1234567890123}, "v": 1},
                     {"m": f"before {text} after", "escaped": "a\nb"}):
        for known in ((), (text.split("=")[-1],)):
            assert redact(decision, known) == mask_json(decision, masker(known, config=True), keys=True)
    assert redact(unmasked) is unmasked
