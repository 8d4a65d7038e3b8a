"""Images loaded into a real Docker daemon extract exactly as their archives do."""

from __future__ import annotations

import time

import pytest

from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.image import extract_from_daemon, extract_image_path
from support.images import BAD, GOOD, SECRET_VALUES, build_image, write_docker_archive

OPTIONS = ExtractOptions(run_syft=False)


@pytest.fixture(scope="module")
def loaded(docker_daemon, tmp_path_factory):
    """Archives of the bad and good images, both also loaded into the daemon."""
    root = tmp_path_factory.mktemp("daemon-images")
    archives = {}
    for name, traits in (("bad", BAD), ("good", GOOD)):
        archives[name] = write_docker_archive(build_image(traits), root / f"{name}.tar")
        with open(archives[name], "rb") as handle:
            docker_daemon.client.images.load(handle)
    return archives


@pytest.fixture
def daemon_host(docker_daemon, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", docker_daemon.host)
    return docker_daemon


@pytest.mark.parametrize("name", ["bad", "good"])
def test_daemon_and_archive_give_the_same_facts(loaded, daemon_host, name):
    from_daemon = extract_from_daemon(f"regate-test/{name}:1", OPTIONS)
    from_archive = extract_image_path(loaded[name], OPTIONS)
    # The daemon re-creates each layer tar from its store (tar-split keeps
    # the bytes, hence the diff ids); the facts must not move at all. Only
    # the source differs.
    assert from_daemon.facts == from_archive.facts
    assert (from_daemon.source.format, from_daemon.source.path) == ("docker-daemon", f"docker:regate-test/{name}:1")
    assert from_daemon.warnings == []


def test_image_id_reference(loaded, daemon_host):
    image_id = daemon_host.client.images.get("regate-test/bad:1").id
    by_id = extract_from_daemon(image_id, OPTIONS)
    by_tag = extract_image_path(loaded["bad"], OPTIONS)
    assert by_id.facts["image"]["id"] == image_id
    # Saved by id, the archive names no repository: the reference is unknown.
    for field in ("reference", "registry", "repository", "tag"):
        assert field not in by_id.facts["image"]
        by_tag.facts["image"].pop(field)
    assert by_id.facts == by_tag.facts


def test_no_secret_leaves_the_daemon_path_in_full(loaded, daemon_host):
    text = repr(extract_from_daemon("regate-test/bad:1", OPTIONS))
    assert not [value for value in SECRET_VALUES if value in text]


def test_missing_image(daemon_host):
    with pytest.raises(InputError) as caught:
        extract_from_daemon("regate-test/absent:9", OPTIONS)
    assert caught.value.path == "docker:regate-test/absent:9"
    assert "no such image" in caught.value.message


def test_no_daemon(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        extract_from_daemon("regate-test/bad:1", OPTIONS)
    assert "cannot reach the Docker daemon" in caught.value.message
    assert time.monotonic() - started < 30
