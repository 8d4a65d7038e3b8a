"""End to end with real parts: images built by the test suite, loaded into a
real Docker daemon, checked by `regate check IMAGE_REF` against the
production example through every engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, NOW, decisions, opa_server, regate, report
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.report import FORMATS
from support.images import BAD, GOOD, SECRET_VALUES, build_image, write_docker_archive

PRODUCTION = EXAMPLES / "production"
# Tagged where the production example's mapping applies.
BAD_REF = "registry.example.com/prod/regate-e2e-bad:1"
GOOD_REF = "registry.example.com/prod/regate-e2e-good:1"


@pytest.fixture(scope="module")
def images(docker_daemon, tmp_path_factory) -> dict[str, Path]:
    """The bad and the good image as docker-archives, both loaded into the daemon."""
    root = tmp_path_factory.mktemp("e2e-images")
    archives = {}
    for name, ref, traits in (("bad", BAD_REF, BAD), ("good", GOOD_REF, GOOD)):
        archives[ref] = write_docker_archive(build_image(traits, tag=ref), root / f"{name}.tar")
        with open(archives[ref], "rb") as handle:
            docker_daemon.client.images.load(handle)
    return archives


@pytest.fixture(scope="module")
def env(docker_daemon) -> dict[str, str]:
    return {**os.environ, "DOCKER_HOST": docker_daemon.host}


def _check(env, *args):
    return regate("check", "--policy", PRODUCTION, "--format", "json", "--now", NOW, *args, env=env)


def _verdicts(result) -> list[str]:
    return [d["final_action"] for d in decisions(result)]


@pytest.mark.parametrize("engine", ["cli", "server"])
def test_bad_image_stops_and_good_image_goes(images, env, engine):
    bad = _check(env, "--engine", engine, "--no-syft", BAD_REF)
    assert bad.returncode == 1, bad.stderr
    [decision] = decisions(bad)
    assert (decision["final_action"], decision["mapping"]) == ("STOP", "production")
    stops = {(f["rule"], f["key"]) for f in decision["findings"] if f["effective_action"] == "STOP"}
    assert ("credentials", "aws-access-key:/app/config.env:2") in stops
    assert ("credentials", "private-key:/root/.ssh/id_rsa:1") in stops
    warns = {f["rule"] for f in decision["findings"] if f["effective_action"] == "WARN"}
    assert warns == {"exposed_ports", "runs_as_root"}
    good = _check(env, "--engine", engine, "--no-syft", GOOD_REF)
    assert good.returncode == 0, good.stderr
    assert decisions(good)[0]["final_action"] == "GO" and decisions(good)[0]["findings"] == []


def test_engines_and_sources_agree_on_the_decision(images, env):
    """Same decisions from the daemon through `opa eval` (with Syft listing packages),
    the managed server for both images in one run, and the archive files."""
    by_cli = [decisions(_check(env, "--engine", "cli", ref))[0] for ref in (BAD_REF, GOOD_REF)]
    both = _check(env, "--engine", "server", BAD_REF, GOOD_REF)
    assert both.returncode == 1, both.stderr
    assert report(both)["engine"]["managed"]
    assert decisions(both) == by_cli
    archives = _check(env, "--image", images[BAD_REF], "--image", images[GOOD_REF])
    # The sources name where the image was read (the daemon, an archive): the data covered is the same.
    assert [_kinds_covered(d) for d in decisions(archives)] == [_kinds_covered(d) for d in by_cli]


def _kinds_covered(decision: dict) -> dict:
    return {**decision, "coverage": {kind: bool(entry["sources"]) for kind, entry in decision["coverage"].items()}}


def test_external_server_that_loads_the_bundle_itself(images, env, opa, tmp_path):
    bundle = tmp_path / "production.tar.gz"
    assert regate("compile", PRODUCTION, "-o", bundle).returncode == 0
    expected = decisions(_check(env, "--no-syft", BAD_REF, GOOD_REF))
    with opa_server(opa, "--bundle", str(bundle)) as url:
        for policy in (("--policy", PRODUCTION), ()):
            result = regate("check", "--opa-url", url, *policy, "--format", "json", "--now", NOW, "--no-syft",
                            BAD_REF, GOOD_REF, env=env)
            assert result.returncode == 1, result.stderr
            assert _verdicts(result) == ["STOP", "GO"]
            assert decisions(result) == expected
            assert report(result)["engine"]["target"] == url


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_report_format_leaks_the_planted_secrets(images, env, fmt):
    result = regate("check", "--policy", PRODUCTION, "--format", fmt, "--now", NOW, "--no-syft", BAD_REF, env=env)
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    assert "AKIA" in output  # the findings are there, masked
    for secret in SECRET_VALUES:
        assert secret not in output, f"{fmt} report shows {secret[:6]}…"


def test_a_missing_image_is_an_error(images, env):
    result = _check(env, "registry.example.com/prod/never-built:1")
    assert result.returncode == 2 and result.stdout == ""
    assert "no such image in the Docker daemon" in result.stderr
