"""docs/fleet.md works as written: its `step` blocks run in order with bash against a
real registry and a real OPA server started with the configuration they wrote, and
the configuration they wrote is the one the page shows."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from engine.gatehelpers import opa_server
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from fleet.fleethelpers import ROOT, members

DOC = ROOT / "docs" / "fleet.md"
STEP = re.compile(r"<!-- step: (\w+) -->\n```sh\n(.*?)```", re.S)


def _steps() -> dict[str, str]:
    return dict(STEP.findall(DOC.read_text()))


def _bash(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def _shown_config() -> dict:
    text = DOC.read_text().split("<!-- step: config -->", 1)[1]
    return yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S)[1])


def test_the_fleet_page_runs_as_written(opa, registry, tmp_path):
    steps = _steps()
    assert list(steps) == ["keys", "sign", "verify", "publish", "config", "fleet", "check", "signed"]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    # `regate` and `opa` as the page calls them: this checkout's, first on PATH.
    env = {"PATH": f"{Path(sys.executable).parent}:{Path(opa.path).parent}:/usr/bin:/bin",
           "HOME": str(tmp_path), "REGATE_OPA": opa.path, "REGISTRY": registry.address}

    for name in ("keys", "sign", "verify", "publish", "config"):
        ran = _bash(steps[name], tmp_path, env)
        assert ran.returncode == 0, f"step {name}: {ran.stderr}"

    written = yaml.safe_load((tmp_path / "opa-config.yaml").read_text())
    shown = _shown_config()
    shown["services"]["bundles"]["url"] = f"http://{registry.address}"
    shown["bundles"]["regate"]["resource"] = shown["bundles"]["regate"]["resource"].replace("127.0.0.1:5000", registry.address)
    shown["keys"]["policy-ci"]["key"] = (tmp_path / "bundle-signing.pub.pem").read_text()
    assert written == shown

    revision = json.loads(members(tmp_path / "production.tar.gz")[".manifest"])["revision"]
    fleet = shlex.split(steps["fleet"])
    assert fleet[:3] == ["opa", "run", "--server"] and fleet[-2:] == ["--config-file", "opa-config.yaml"]
    with opa_server(opa, *fleet[5:-2], "--config-file", str(tmp_path / "opa-config.yaml")) as url:
        checked = _bash(steps["check"], tmp_path, dict(env, OPA_URL=url))
        signed = _bash(steps["signed"], tmp_path, dict(env, OPA_URL=url))
    assert checked.returncode == 1, checked.stderr  # the vulnerable example STOPs
    assert f"policy {revision[:12]}" in checked.stdout
    # The clean image passes locally (exit 0 lets the script go on); both images on the server STOP.
    assert signed.returncode == 1, signed.stderr
    assert signed.stdout.count(f"policy {revision[:12]}") == 2 and "opa eval" in signed.stdout
