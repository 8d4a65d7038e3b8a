"""The registry the fleet tests publish to: started once per test process, stopped at its end."""

from __future__ import annotations

import os

import pytest
from support.components import require


@pytest.fixture(scope="session")
def registry():
    from support.registry import REGISTRY, RegistryFailed, start_registry

    require(os.access(REGISTRY, os.X_OK), "docker-registry (Debian package docker-registry)")
    try:
        running = start_registry()
    except RegistryFailed as exc:
        require(False, f"a working docker-registry ({exc})")
    try:
        yield running
    finally:
        running.stop()
