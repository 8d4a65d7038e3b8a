"""The CI recipes and pre-commit hooks in the repository are run, not only written down.

The GitHub Actions workflow and the GitLab CI job in docs/ci/ are read as YAML and
their shell steps executed the way each runner executes them (GitHub: `bash -eo
pipefail` per step, GitLab: the script lines in order, stopping at the first that
fails), on a copy of the secrets example as the policy repository and an image
archive built by the suite. Two steps are not run here: installing regate and OPA
(this environment is that installation) and `docker build` (the suite builds the
archive). Everything after them is the recipe's own text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from support.images import BAD, GOOD, build_image, write_docker_archive

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "docs" / "ci"
SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json"
NOT_RUN_HERE = {"install", "build"}
IMAGE_NAME = "registry.example.com/prod/app:0123abc"


@pytest.fixture
def workspace(tmp_path) -> Path:
    shutil.copytree(ROOT / "examples" / "secrets", tmp_path / "policies")
    return tmp_path


def archive(workspace: Path, traits) -> str:
    return str(write_docker_archive(build_image(traits, tag=IMAGE_NAME), workspace / "app.tar"))


def shell(script: str, cwd: Path, env: dict, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "--noprofile", "--norc", *flags, "-c", script], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**os.environ, **env})


def github_steps(workspace: Path, traits) -> tuple[dict[str, subprocess.CompletedProcess], Path]:
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    job = workflow["jobs"]["gate"]
    summary = workspace / "step-summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "IMAGE_ARCHIVE": archive(workspace, traits),
           "IMAGE_NAME": IMAGE_NAME}
    assert set(job["env"]) == {"IMAGE_ARCHIVE", "IMAGE_NAME"}
    results = {}
    for step in job["steps"]:
        if "run" in step and step["id"] not in NOT_RUN_HERE:
            results[step["id"]] = shell(step["run"], workspace, env, "-eo", "pipefail")
    return results, summary


def test_github_actions_recipe_fails_the_job_on_stop_and_still_reports(workspace):
    results, summary = github_steps(workspace, BAD)
    assert results["policy-tests"].returncode == 0, results["policy-tests"].stderr
    assert results["gate"].returncode == 1, results["gate"].stderr
    assert "STOP" in summary.read_text()
    sarif = json.loads((workspace / "regate.sarif").read_text())
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    assert sarif["runs"][0]["results"], "the upload step would show no finding"


def test_github_actions_recipe_passes_a_clean_image(workspace):
    results, summary = github_steps(workspace, GOOD)
    assert results["gate"].returncode == 0, results["gate"].stderr
    assert "GO" in summary.read_text()
    assert (workspace / "regate.sarif").exists()


def test_gitlab_recipe_fails_the_job_on_stop_and_keeps_junit_reports(workspace):
    job = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())["regate"]
    env = {"IMAGE_ARCHIVE": archive(workspace, BAD), "IMAGE_NAME": IMAGE_NAME}
    statuses = []
    for line in job["script"]:
        statuses.append(shell(line, workspace, env, "-e").returncode)
        if statuses[-1]:
            break
    assert statuses == [0, 0, 1]
    for report in job["artifacts"]["reports"]["junit"]:
        assert report in job["artifacts"]["paths"]
    assert junit_totals(workspace / "regate-tests.xml") == (4, 0)
    cases, failures = junit_totals(workspace / "regate.xml")
    assert failures > 0


def junit_totals(path: Path) -> tuple[int, int]:
    """(test cases, failed cases) as GitLab's JUnit widget counts them."""
    cases = list(ET.parse(path).getroot().iter("testcase"))
    return len(cases), sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)


def test_pre_commit_hooks_run_from_this_repository(tmp_path):
    """pre-commit installs regate from a repository holding this checkout's hooks and
    package (what `pip install` needs, as a git repository, at one revision so both
    runs share one installed environment) and runs the hooks on a policy repository."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def run(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900, env=env)

    hooks_repo = tmp_path / "regate"
    hooks_repo.mkdir()
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, hooks_repo / name)
    for folder in ("compiler", "grammar", "rego"):
        shutil.copytree(ROOT / folder, hooks_repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    run(hooks_repo, "git", "init", "-q")
    run(hooks_repo, "git", "add", ".")
    run(hooks_repo, "git", "commit", "-qm", "hooks")
    revision = run(hooks_repo, "git", "rev-parse", "HEAD").stdout.strip()

    repo = tmp_path / "policies"
    shutil.copytree(ROOT / "examples" / "secrets", repo)
    config = yaml.safe_load((RECIPES / "pre-commit-config.yaml").read_text())
    config["repos"][0].update(repo=str(hooks_repo), rev=revision)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    run(repo, "git", "init", "-q")
    run(repo, "git", "add", ".")

    passed = run(repo, "pre-commit", "run", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    for name in ("regate fmt --check", "regate lint", "regate test"):
        assert any(line.startswith(name) and line.endswith("Passed") for line in passed.stdout.splitlines())

    source = repo / "secrets.regate"
    source.write_text(source.read_text().replace("policy ", "policy  ", 1))
    run(repo, "git", "add", ".")
    broken = run(repo, "pre-commit", "run", "regate-fmt", "--all-files")
    assert broken.returncode == 1 and "not formatted: secrets.regate" in broken.stdout
