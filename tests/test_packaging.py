"""A normal (non-editable) install carries the grammar, the Rego library and the schema."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_compiles_outside_the_checkout(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("regate-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "regate/grammar/regate.lark" in names
    assert "regate/schema/input-v1.json" in names
    assert "regate/rego/regate/decision/decision.rego" in names
    assert any(n.startswith("regate/rego/regate/lib/version/") for n in names)

    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                                str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    policy = tmp_path / "p.regate"
    policy.write_text('policy "p" { rule r warn { when image.user == "root" message "root" } }\n')
    script = (
        "import regate, sys\n"
        f"assert regate.__file__.startswith({str(target)!r}), regate.__file__\n"
        "from regate.compile import compile_policies\n"
        f"files = compile_policies([{str(policy)!r}]).files\n"
        "assert 'regate/decision/decision.rego' in files and 'regate/policies/p/policy.rego' in files\n"
        "print('ok')\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0 and ran.stdout.strip() == "ok", ran.stderr
