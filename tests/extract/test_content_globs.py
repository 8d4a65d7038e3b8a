"""`--content PATH|GLOB`: which files of an image keep their text (docs/input.md, "File contents")."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from regate.errors import UserError
from regate.extract.base import ExtractOptions
from regate.extract.globs import compile_globs
from regate.extract.image import extract_image_path
from support.images import BAD, SECRET_VALUES, build_image, write_docker_archive


@pytest.fixture(scope="module")
def bad_image(tmp_path_factory):
    return write_docker_archive(build_image(BAD), tmp_path_factory.mktemp("globs") / "bad.tar")


def _contents(image, *patterns: str) -> tuple[dict, list[str]]:
    extraction = extract_image_path(image, ExtractOptions(run_syft=False, content_paths=patterns))
    files = extraction.facts["files"]
    return {path: entry["contents"] for path, entry in files.items() if "contents" in entry}, extraction.warnings


def test_a_glob_keeps_the_text_of_every_file_it_matches_and_no_other(bad_image):
    kept, _ = _contents(bad_image, "/app/*.py")
    # /app/app-link.py is a hard link to app.py: the same text under its own name.
    assert sorted(kept) == ["/app/app-link.py", "/app/app.py"]
    assert kept["/app/app.py"] == "print('hello from regate tests')\n"


def test_double_star_crosses_directories_and_single_star_does_not(bad_image):
    assert "/etc/ssh/sshd_config" in _contents(bad_image, "/etc/**")[0]
    assert "/etc/ssh/sshd_config" not in _contents(bad_image, "/etc/*")[0]
    assert sorted(_contents(bad_image, "/etc/{motd,group}")[0]) == ["/etc/group", "/etc/motd"]


def test_secrets_in_files_a_glob_keeps_are_masked(bad_image):
    kept, _ = _contents(bad_image, "/app/*.env")
    assert sorted(kept) == ["/app/.env", "/app/config.env"]
    assert "aws_access_key_id" in kept["/app/config.env"]
    assert not any(value in text for value in SECRET_VALUES for text in kept.values())


def test_a_glob_that_matches_nothing_is_reported(bad_image):
    kept, warnings = _contents(bad_image, "/opt/**/*.conf")
    assert kept == {}
    assert "--content /opt/**/*.conf: no file of the image matches it" in warnings


@pytest.mark.parametrize("pattern, path, matches", [
    ("/etc/*.conf", "/etc/a.conf", True),
    ("/etc/*.conf", "/etc/x/a.conf", False),
    ("/etc/**/*.conf", "/etc/x/y/a.conf", True),
    ("/etc/?.conf", "/etc/ab.conf", False),
    ("/etc/[!a]b", "/etc/cb", True),
    ("/etc/[!a]b", "/etc/ab", False),
    ("/etc/[a]/x", "/etc///x", False),
    ("/x.{yml,yaml}", "/x.yaml", True),
    ("/x.y", "/x_y", False),  # a dot is no wildcard
])
def test_glob_reading(pattern, path, matches):
    assert bool(compile_globs([pattern]).fullmatch(path)) is matches


@pytest.mark.parametrize("pattern", ["/etc/[ab", "/etc/{a,b"])
def test_a_broken_glob_is_a_user_error(pattern):
    with pytest.raises(UserError) as caught:
        compile_globs([pattern])
    assert pattern in str(caught.value)


def _regate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from regate.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300)


def test_extract_and_check_take_content_globs(bad_image, tmp_path):
    done = _regate("extract", "--no-syft", "--image", str(bad_image), "--content", "/app/*.py")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"]["/app/app.py"]["contents"].startswith("print(")
    done = _regate("extract", "--no-syft", "--image", str(bad_image), "--content", "app/*.py")
    assert done.returncode == 2 and "give an absolute path or glob" in done.stderr
    policy = tmp_path / "p.regate"
    policy.write_text('policy "apps" {\n  rule prints stop {\n    title "prints"\n'
                      '    for f in files where f.path glob "/app/*.py" and f.contents matches "print"\n'
                      '    message "{f.path} prints"\n  }\n}\n')
    done = _regate("check", "--no-syft", "--policy", str(policy), "--image", str(bad_image), "--content", "/app/*.py")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "/app/app.py prints" in done.stdout
    done = _regate("check", "--no-syft", "--policy", str(policy), "--image", str(bad_image), "--content", "/app/[x")
    assert done.returncode == 2 and "without its `]`" in done.stderr
