"""regate's secret scanner: one planted fake credential per kind, and masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from regate.extract import secrets

# Documented example or obviously fake values; none was ever a live credential.
CASES = [
    ("aws-access-key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("aws-secret-key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("aws-secret-key", 'AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----", None),
    ("private-key", '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n"',
     "\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n\""),
    ("docker-auth", '"auth": "dXNlcjpleGFtcGxlLXBhc3N3b3Jk"', "dXNlcjpleGFtcGxlLXBhc3N3b3Jk"),
    ("api-key", "api_key = 4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99", "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99"),
    ("api-key", "X-API-Key: 4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99", "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99"),
    ("api-key", '{"apikey": "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99"}', "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99"),
    ("github-token", "token ghp_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1", "ghp_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"),
    ("github-token", "gho_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1", "gho_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"),
    ("github-token", "GH=ghu_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1", "ghu_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"),
    ("github-token", "ghs_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1", "ghs_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"),
    ("github-token", "ghr_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1", "ghr_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"),
    ("github-token",
     "github_pat_11ABCDEFG0123456789abc_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
     "github_pat_11ABCDEFG0123456789abc_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"),
    ("gitlab-token", "GITLAB_TOKEN=glpat-Xy7aB2cD4eF6gH8iJ0kL", "glpat-Xy7aB2cD4eF6gH8iJ0kL"),
    ("slack-token", "SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
     "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack-webhook", "url: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("stripe-key", "STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("google-api-key", "maps_key = AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
     "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("npm-token", "NPM_TOKEN=npm_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5", "npm_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"),
    ("npm-token", "//registry.npmjs.org/:_authToken=aB3dE5gH7jK9mN1pQ3sT5vX7", "aB3dE5gH7jK9mN1pQ3sT5vX7"),
]


@pytest.mark.parametrize("kind,line,secret", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_kind_is_found_on_its_line_and_masked(kind, line, secret):
    text = f"# config\n\n{line}\ntrailer = 1\n"
    found = secrets.scan_text(text, "/etc/app.conf", layer="sha256:abc")
    assert [(f["kind"], f["line"]) for f in found] == [(kind, 3)]
    entry = found[0]
    assert entry["path"] == "/etc/app.conf"
    assert entry["source"] == "regate"
    assert entry["layer"] == "sha256:abc"
    assert entry["severity"] in ("medium", "high", "critical")
    assert entry["title"]
    if secret:
        assert secret not in json.dumps(found)
        assert secret[:4] in entry["match"]
        assert "*" * 8 in entry["match"]


def test_findings_carry_what_their_keys_are_made_of():
    found = secrets.scan_text("a\nAKIAIOSFODNN7EXAMPLE\n", "/x")
    assert [(f["kind"], f["path"], f["line"]) for f in found] == [("aws-access-key", "/x", 2)]


def test_two_secrets_on_one_line_are_both_masked_in_each_excerpt():
    line = "AKIAIOSFODNN7EXAMPLE ghp_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"
    found = secrets.scan_text(line, "/x")
    assert sorted(f["kind"] for f in found) == ["aws-access-key", "github-token"]
    for entry in found:
        assert "AKIAIOSFODNN7EXAMPLE" not in entry["match"]
        assert "ghp_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1" not in entry["match"]


def test_specific_kind_wins_over_generic_api_key():
    found = secrets.scan_text("api_key = AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "/x")
    assert [f["kind"] for f in found] == ["google-api-key"]


def test_secret_deep_in_a_long_line_is_shown_in_the_excerpt():
    found = secrets.scan_text("x" * 5000 + " AKIAIOSFODNN7EXAMPLE " + "y" * 5000, "/min.js")
    assert len(found) == 1
    assert "AKIA****" in found[0]["match"]
    assert len(found[0]["match"]) <= 200


def test_binaries_are_skipped():
    assert secrets.scan_bytes(b"\x7fELF\0\0AKIAIOSFODNN7EXAMPLE", "/bin/x") == secrets.Scan([])
    found = secrets.scan_bytes(b"AKIAIOSFODNN7EXAMPLE", "/etc/x")
    assert len(found.findings) == 1 and found.values == {"AKIAIOSFODNN7EXAMPLE"}


def test_near_misses_are_not_reported():
    text = "\n".join([
        "aws_access_key_id = AKIAIOSFODNN7EXAMPL",  # one character short
        "api_key = ${API_KEY}",  # a reference, not a value
        "_authToken=${NPM_TOKEN}",
        "ghp_short",
        "-----BEGIN PUBLIC KEY-----",
        "AKIAIOSFODNN7EXAMPLEXTRA",  # part of a longer word
    ])
    assert secrets.scan_text(text, "/x") == []


def test_invalid_utf8_does_not_break_scanning():
    found = secrets.scan_bytes(b"\xff\xfe bad bytes\nkey AKIAIOSFODNN7EXAMPLE\n", "/x").findings
    assert [(f["kind"], f["line"]) for f in found] == [("aws-access-key", 2)]


CASES_FILE = yaml.safe_load((Path(__file__).parent / "cases" / "secrets.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES_FILE["variables"], ids=lambda c: f"{c['name']}={c['value']}")
def test_a_variable_is_a_secret_by_its_name(case):
    rule = secrets.variable_rule(case["name"], case["value"])
    assert (rule.kind if rule else None) == case["kind"]


@pytest.mark.parametrize("case", CASES_FILE["masking"], ids=lambda c: c["text"][:40])
def test_masking_hides_the_secret_and_nothing_else(case):
    mask = secrets.masker(config=case.get("config", False))
    assert mask(case["text"]) == case["masked"]
    # Masking is idempotent and keeps every offset and line break.
    assert mask(case["masked"]) == case["masked"]
    assert len(case["masked"]) == len(case["text"]) and case["masked"].count("\n") == case["text"].count("\n")


def test_a_private_key_is_one_finding_and_masked_whole_in_its_excerpt():
    body = ["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+ZKBQfUqIkjVvuqJtMLbHqk2R",
            "cmVnYXRlIHRlc3QgZmFrZSBrZXkgcmVnYXRlIHRlc3QgZmFrZSBrZXkgcmVnYXRl"]
    text = "\n".join(["# key", "-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----", "x = 1"])
    found = secrets.scan_text(text, "/k")
    assert [(f["kind"], f["line"], f["match"]) for f in found] == [("private-key", 2, "-----BEGIN RSA PRIVATE KEY-----")]
    masked = secrets.mask_secrets(text)
    assert all(line not in masked for line in body)
    assert masked.splitlines()[-2:] == ["-----END RSA PRIVATE KEY-----", "x = 1"]


def test_known_values_are_masked_anywhere_in_any_case():
    mask = secrets.masker(["hunter2-hunter2", "-----\nLINEONE-abcdef\nLINETWO-ghijkl\n", "abc"])
    # Each line of a multi-line value is hunted for on its own: a policy may print it joined or split.
    assert mask("pw HUNTER2-Hunter2! lineone-ABCDEF and LINETWO-ghijkl abc") == \
        "pw ***************! ************** and ************** abc"
    # Too short to hunt for safely: masked only where a detector finds it.
    assert mask("abc") == "abc"


HARMLESS = ["STOP", "critical", "production/no_root", "curl 7.88.1-10+deb12u4 in /usr/bin", "key: value"]


@pytest.mark.parametrize("kind,line,secret", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_one_search_over_many_texts_misses_no_secret_at_either_end_of_one(kind, line, secret):
    # A secret that is a whole text, or starts or ends one, is found among others as alone.
    for text in {line, secret or line, line.split(" ", 1)[-1]} - {""}:
        if secrets.masker(config=True)(text) == text:
            continue
        for texts in ([text], HARMLESS + [text], [text] + HARMLESS, HARMLESS[:2] + [text] + HARMLESS[2:]):
            assert not secrets.masks_nothing(texts), texts
    assert secrets.masks_nothing(HARMLESS)


@pytest.mark.parametrize("case", CASES_FILE["masking"], ids=lambda c: c["text"][:40])
def test_one_search_over_many_texts_misses_no_masking_case(case):
    if case["masked"] != case["text"]:
        assert not secrets.masks_nothing(HARMLESS + [case["text"]] + HARMLESS)


def test_one_search_over_many_texts_finds_known_values():
    assert secrets.masks_nothing(HARMLESS, ["hunter2-hunter2"])
    assert not secrets.masks_nothing(HARMLESS + ["pw HUNTER2-Hunter2!"], ["hunter2-hunter2"])
