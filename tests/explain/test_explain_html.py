"""`--format html` in a real headless Chromium (Debian's `chromium`): the page
renders, its screenshot shows the verdict's banner, the DOM holds the verdict,
the page needs nothing from outside, and no format prints a secret."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from support.components import require

from engine.gatehelpers import ROOT, NOW, regate, write_json, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from explain.png import pixels

PRODUCTION = ROOT / "examples" / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"
STOP_RED = (0xC6, 0x28, 0x28)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    require(path is not None, "chromium (Debian package chromium)")
    return path


def _browser(chromium: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return subprocess.run([chromium, *flags, *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_page_renders_with_the_verdict(chromium, tmp_path):
    page = tmp_path / "report.html"
    result = regate("check", "--explain", "--fail-on", "warn", "--policy", PRODUCTION, "--format", "html",
                    "--now", NOW, "-o", page, VULNERABLE)
    assert result.returncode == 1, result.stderr
    html = page.read_text(encoding="utf-8")
    # Self-contained: no fetched asset, no script.
    for outside in ("src=", "href=", "url(", "<script", "@import", "<link"):
        assert outside not in html
    assert "How to pass" in html and "3.0.13-1~deb12u1" in html and "for v in vulnerabilities" in html

    dom = _browser(chromium, tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    assert '<span class="verdict" id="verdict"' in dom.stdout and ">STOP</span>" in dom.stdout
    assert "set USER 65532" in dom.stdout and "<svg" in dom.stdout

    shot = tmp_path / "shot.png"
    done = _browser(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1000,700", page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr
    width, step, rows = pixels(shot.read_bytes())
    colours = {row[x:x + 3] for row in rows[::7] for x in range(0, width * step, step * 5)}
    assert len(colours) > 20, "the screenshot is blank"
    # The verdict banner is the STOP red, near the top of the page.
    banner = [y for y, row in enumerate(rows[:200])
              if any(all(abs(row[x + i] - STOP_RED[i]) < 12 for i in range(3)) for x in range(0, 300 * step, step))]
    assert len(banner) > 20, "no STOP banner in the screenshot"


def test_no_format_prints_a_secret(tmp_path):
    from regate.inputs import complete

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    document = complete({"image": {"reference": "registry.example.com/app:1", "env": {
        "AWS_SECRET_ACCESS_KEY": {"name": "AWS_SECRET_ACCESS_KEY", "value": secret}}}})
    path = write_json(tmp_path / "input.json", document)
    policy = write_policy(tmp_path / "policy", 'policy "env" {\n  rule aws_env stop {\n'
                                               '    for e in image.env where e.name glob "AWS_*"\n'
                                               '    message "{e.name}={e.value}"\n  }\n}\n')
    for fmt in ("html", "text", "markdown", "json"):
        result = regate("check", "--explain", "--policy", policy, "--format", fmt, "--now", NOW, path)
        assert result.returncode == 1, result.stderr
        assert secret not in result.stdout and "wJalrXUtnFEMI" not in result.stdout, fmt
        assert "remove ENV variable AWS_SECRET_ACCESS_KEY" in result.stdout, fmt
