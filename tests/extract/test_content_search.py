"""files[].content_matches: Anchore's named content-search regexes (and --content-search ones) over
the files of an image regate reads."""

from __future__ import annotations

import json
import random
import re

import pytest

from regate.extract.contentsearch import ANCHORE_DEFAULTS, compile_search
from support.images import BAD, GOOD, Entry, LayerSpec, build_image, f, with_layers, write_docker_archive
from test_cli import assert_user_error, regate

# anchore-engine conf/analyzer_config.yaml (content_search.regexp_match), as Anchore runs them with
# Python's `re.match` on each line: the reference the RE2 rewrites must agree with.
ANCHORE_ORIGINALS = {
    "AWS_ACCESS_KEY": r"(?i).*aws_access_key_id( *=+ *).*(?<![A-Z0-9])[A-Z0-9]{20}(?![A-Z0-9]).*",
    "AWS_SECRET_KEY": r"(?i).*aws_secret_access_key( *=+ *).*(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=]).*",
    "SSH_PRIV_KEY": r"(?i)-+BEGIN(.*)PRIVATE KEY-+",
    "DOCKER_AUTH": r"(?i).*\"auth\": *\".+\"",
    "API_KEY": r"(?i).*api(-|_)key( *=+ *).*(?<![A-Z0-9])[A-Z0-9]{20,60}(?![A-Z0-9]).*",
}
KEY20 = "AKIA2E0A8F3B244C9986"
SECRET40 = "9dKq3VtZ7xLm2Pw8Rb5Nc1Jh6Fs4Gy0Ta2Ue7Wi3"
LINES = [
    f"aws_access_key_id = {KEY20}", f"AWS_ACCESS_KEY_ID={KEY20}", f"aws_access_key_id = x{KEY20}",
    f"aws_access_key_id = {KEY20}X", f"export aws_access_key_id==  '{KEY20}'", f"  aws_access_key_id: {KEY20}",
    f"aws_secret_access_key = {SECRET40}", f"aws_secret_access_key={SECRET40}", f"aws_secret_access_key= {SECRET40}",
    f"aws_secret_access_key = '{SECRET40}'", f"aws_secret_access_key = {SECRET40}/", f"aws_secret_access_key ={SECRET40[:39]}",
    "-----BEGIN RSA PRIVATE KEY-----", "  -----BEGIN PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----",
    '    "auth": "cmVnYXRlOmZha2U="', '"auth":""', '"Auth":   "x"',
    f"api_key = {KEY20}", f"X-API-KEY = {KEY20}{KEY20}", f"api-key={KEY20[:19]}", f"my_api_key = abc{KEY20}", "",
]


def _anchore(name: str, text: str) -> bool:
    return any(re.match(ANCHORE_ORIGINALS[name], line) for line in text.split("\n"))


def _variants(rng: random.Random) -> list[str]:
    """The lines above mutated: characters dropped, doubled, swapped for `=`, space, `/` or a letter."""
    out = []
    for line in LINES:
        for _ in range(40):
            chars = list(line)
            for _ in range(rng.randint(1, 3)):
                if not chars:
                    break
                at = rng.randrange(len(chars))
                chars[at:at + 1] = rng.choice([[], [chars[at]] * 2, ["="], [" "], ["/"], ["a"], ["Z"], ["+"]])
            out.append("".join(chars))
    return out


def test_the_re2_rewrites_match_what_anchore_matches():
    search = compile_search(ANCHORE_DEFAULTS)
    assert set(search.names) == set(ANCHORE_ORIGINALS)
    texts = [*LINES, *_variants(random.Random(10)), "\n".join(LINES)]
    disagreements = [(name, text) for text in texts for name in search.names
                     if (name in search.matches(text.encode())) != _anchore(name, text)]
    assert disagreements == []
    assert sum(bool(search.matches(t.encode())) for t in texts) > 100  # the variants do hit the patterns


def _extract(*args):
    done = regate("extract", "--no-syft", *map(str, args))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _matches(document: dict) -> dict:
    return {path: entry["content_matches"] for path, entry in document["files"].items() if "content_matches" in entry}


def test_an_image_is_searched(tmp_path):
    spec = with_layers(build_image(BAD), LayerSpec("COPY extra / # buildkit", (
        f("/srv/hooks.cfg", "[deploy]\nwebhook = https://example.com\n"),
        Entry("/srv/creds-link", type="hardlink", target="/app/config.env"),
        f("/srv/big-key.pem", "x" * 11000 + "\n-----BEGIN PRIVATE KEY-----\n"),
    )))
    archive = write_docker_archive(spec, tmp_path / "image.tar")
    document = _extract("--image", archive, "--content-search", "WEBHOOK=webhook *=", "--content-search",
                        "SSH_PRIV_KEY=(?i).*ssh-rsa")
    assert _matches(document) == {
        "/app/config.env": ["AWS_ACCESS_KEY", "AWS_SECRET_KEY"],
        "/srv/creds-link": ["AWS_ACCESS_KEY", "AWS_SECRET_KEY"],  # a hard link shares its target's contents
        "/root/.docker/config.json": ["DOCKER_AUTH"],
        "/srv/hooks.cfg": ["WEBHOOK"],
        # /root/.ssh/id_rsa: SSH_PRIV_KEY was replaced by a pattern it does not match.
        # /app/big.log and /srv/big-key.pem: over the 10 KiB limit, not searched (as Anchore's MAXFILESIZE).
    }
    assert document["coverage"]["content_search"] == {"sources": [f"docker-archive:{archive}"]}
    clean = _extract("--image", write_docker_archive(build_image(GOOD), tmp_path / "good.tar"))
    assert _matches(clean) == {}
    assert clean["coverage"]["content_search"]["sources"]  # searched, nothing found


def test_content_search_option_errors():
    image = "unused.tar"
    assert_user_error(regate("extract", "--image", image, "--content-search", "no-equals-sign"), "expected NAME=REGEX")
    assert_user_error(regate("extract", "--image", image, "--content-search", "BAD=(?<=x)y"),
                      "--content-search BAD: '(?<=x)y' is not an RE2 regular expression")
