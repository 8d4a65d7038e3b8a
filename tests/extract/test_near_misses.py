"""Files that are nearly, but not, a format regate reads: two lines, what the file is and what to pass instead.

Each case is a real file of the corpus or a part of one (a bundle's mappings, a skopeo output without its layers).
"""

from __future__ import annotations

import json

import pytest

from corpus_helpers import corpus, raw
from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.registry import extract_json, extract_path

BUNDLE = "anchore-bundles/tests__data__test_data_env__bundles__multi_policy.json"
SKOPEO = "skopeo/anchore-engine_nginx_skopeo-inspect.json"
SCHEMA1 = "manifest-schema1/anchore-engine_alpine-2.6_schema1.json"


def _without(name: str, *fields: str) -> dict:
    doc = raw(name)
    for field in fields:
        del doc[field]
    return doc


def _refusal(doc) -> str:
    with pytest.raises(InputError) as caught:
        extract_json(doc, "near-miss.json")
    return caught.value.message


CASES = {
    "mapping file": (lambda: raw("anchore-policy-parts/modular-policy_default_mapping.json"),
                     "Anchore policy part (a mapping file alone)", "regate import anchore FILE"),
    "mapping list": (lambda: raw(BUNDLE)["mappings"], "Anchore policy part (a mapping file alone)", "regate import anchore FILE"),
    "mappings object": (lambda: {"mappings": raw(BUNDLE)["mappings"]}, "a mapping file alone", "regate import anchore FILE"),
    "policy file": (lambda: raw("anchore-policy-parts/modular-policy_default_policy.json"),
                    "Anchore policy part (a policy file alone)", "regate import anchore FILE"),
    "empty whitelist file": (lambda: raw(BUNDLE)["whitelists"][0], "a whitelist (allowlist) file alone", "regate import anchore FILE"),
    "whitelist file": (lambda: raw("anchore-bundles/custom__custom.json")["whitelists"][0], "a whitelist (allowlist) file alone",
                       "regate import anchore FILE"),
    "bundle": (lambda: raw(BUNDLE), "Anchore policy bundle", "regate import anchore FILE"),
    "skopeo without layers": (lambda: _without(SKOPEO, "Layers"), "`skopeo inspect` output, but without its Layers",
                              "skopeo inspect docker://REF"),
    "skopeo list-tags": (lambda: {"Repository": raw(SKOPEO)["Name"], "Tags": raw(SKOPEO)["RepoTags"]},
                         "`skopeo list-tags` output", "skopeo inspect docker://REPO:TAG"),
    "schema 1 without layers": (lambda: _without(SCHEMA1, "fsLayers", "history"), "Docker manifest schema 1 without fsLayers",
                                "skopeo inspect --raw"),
    "anchorectl check": (lambda: raw("anchore-outputs/defectdojo_anchorectl_policy-check_one-violation.json"),
                         "Anchore policy evaluation (`anchorectl image check`)", "anchorectl image vulnerabilities IMG -o json"),
    "policy-engine listing": (lambda: {"user_id": "admin", "image_id": raw(SKOPEO)["Digest"][7:], "legacy_report": {}, "cpe_report": []},
                              "Anchore policy-engine vulnerability listing", "anchore-cli --json image vuln IMG all"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_near_miss_says_what_it_is_and_what_to_pass_in_two_lines(case):
    make, what, instead = CASES[case]
    message = _refusal(make())
    first, second = message.split("\n")
    assert what in first and instead in second
    assert len(message) < 250  # the generic refusal lists every format in ~1000 characters


def test_an_unrelated_document_still_lists_the_formats():
    message = _refusal({"hello": "world"})
    assert "is not a format regate knows" in message and "skopeo inspect" in message and "\n" not in message


def test_a_dockerfile_keeps_its_error_and_names_the_option_for_it():
    with pytest.raises(InputError) as caught:
        extract_path(corpus("dockerfiles/krol3-vuln-python-sample.Dockerfile"), ExtractOptions())
    first, second = caught.value.message.split("\n")
    assert "looks like a Dockerfile" in first and "--dockerfile FILE" in second


def test_skopeo_output_without_repo_tags_is_still_read():
    """`skopeo inspect --no-tags` leaves RepoTags out."""
    doc = _without(SKOPEO, "RepoTags")
    assert extract_json(json.loads(json.dumps(doc)), "no-tags.json").facts["image"]["digest"] == doc["Digest"]
