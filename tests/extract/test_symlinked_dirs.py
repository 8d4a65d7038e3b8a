"""Paths through directory symlinks, resolved as a process in the container sees them.

Regression tests for issue #8: an image whose /etc was a symlink to /real
hid /etc/passwd, /etc/sudoers and /etc/ssh/sshd_config from every rule (STOP
became GO), because resolution followed only the last path component.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, regate, report
from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.image import Limits, extract_image_path
from support.images import Entry, ImageSpec, LayerSpec, d, f, write_docker_archive

OPTIONS = ExtractOptions(run_syft=False)
CONFIG_FILES = EXAMPLES / "config-files" / "config-files.regate"

# The files of /work/shared/reproducers/i01_*.tar (made by its mkimg.py).
PASSWD = "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n"
SSHD = "PermitRootLogin yes\nPasswordAuthentication no\n"
SUDOERS = "app ALL=(ALL) NOPASSWD: ALL\n"
OS_RELEASE = 'ID=debian\nVERSION_ID="12"\n'


def etc_files(directory: str) -> tuple[Entry, ...]:
    return (d(directory), d(f"{directory}/ssh"), f(f"{directory}/ssh/sshd_config", SSHD),
            f(f"{directory}/passwd", PASSWD), f(f"{directory}/sudoers", SUDOERS),
            f(f"{directory}/os-release", OS_RELEASE))


def link(path: str, target: str) -> Entry:
    return Entry(path, type="symlink", target=target, mode=0o777)


def archive(tmp_path: Path, *layers: tuple[Entry, ...], name: str = "image.tar") -> Path:
    spec = ImageSpec(layers=tuple(LayerSpec(f"layer {i}", entries) for i, entries in enumerate(layers)),
                     config={}, tag="registry.example.com/app:1")
    return write_docker_archive(spec, tmp_path / name)


def facts(path: Path, limits: Limits = Limits()) -> dict:
    return extract_image_path(path, OPTIONS, limits).facts


def findings(image: Path) -> tuple[int, list[tuple[str, str]]]:
    result = regate("check", "--no-syft", "--policy", CONFIG_FILES, "--image", image, "--format", "json")
    found = report(result)["results"][0]["decision"]["findings"]
    return result.returncode, sorted((item["rule"], item["message"]) for item in found)


@pytest.mark.parametrize("target", ["/real", "real", "./real/", "../../real"])
def test_etc_symlinked_to_a_directory_stops_like_a_real_etc(tmp_path, target):
    direct = archive(tmp_path, etc_files("/etc"), name="direct.tar")
    linked = archive(tmp_path, (*etc_files("/real"), link("/etc", target)), name="linked.tar")
    expected = findings(direct)
    assert expected[0] == 1 and {rule for rule, _ in expected[1]} >= {"sshd_root_login", "sudo_nopasswd", "extra_uid_zero"}
    assert findings(linked) == expected


def test_files_behind_a_directory_symlink_are_listed_under_their_in_image_paths(tmp_path):
    found = facts(archive(tmp_path, (*etc_files("/real"), link("/etc", "/real"))))
    files = found["files"]
    assert files["/etc"]["type"] == "symlink" and files["/etc"]["link_target"] == "/real"
    for name in ("/passwd", "/sudoers", "/ssh/sshd_config"):
        seen, real = files["/etc" + name], files["/real" + name]
        assert seen["path"] == "/etc" + name
        assert {k: v for k, v in seen.items() if k != "path" and k != "contents"} == \
               {k: v for k, v in real.items() if k != "path" and k != "contents"}
    assert files["/etc/ssh"]["type"] == "dir"
    assert files["/etc/passwd"]["contents"] == PASSWD and files["/etc/sudoers"]["contents"] == SUDOERS
    assert files["/etc/ssh/sshd_config"]["contents"] == SSHD
    assert "contents" not in files["/real/passwd"]  # only configured paths carry contents
    assert sorted(found["users"]) == ["root", "toor"]
    assert found["image"]["distro"] == {"name": "debian", "version": "12"}


def test_symlink_in_a_lower_layer_and_files_in_an_upper_one(tmp_path):
    found = facts(archive(tmp_path, (d("/real"), link("/etc", "../real")), etc_files("/real")[1:]))
    assert found["files"]["/etc/sudoers"]["contents"] == SUDOERS
    assert "toor" in found["users"]


def test_member_written_under_a_symlink_of_its_own_layer_lands_where_unpacking_puts_it(tmp_path):
    # Unpacking `etc/passwd` after `etc -> real` writes real/passwd; /etc stays a link.
    found = facts(archive(tmp_path, (d("/real"), f("/real/sudoers", SUDOERS), link("/etc", "real"),
                                     f("/etc/passwd", PASSWD))))
    files = found["files"]
    assert files["/etc"]["type"] == "symlink"
    assert files["/real/passwd"]["size"] == len(PASSWD)
    assert files["/etc/sudoers"]["contents"] == SUDOERS and "toor" in found["users"]


def test_upper_layer_directory_replaces_a_lower_layer_symlink(tmp_path):
    # overlayfs shows the upper directory, not the lower link: /etc holds only what the upper layer wrote.
    found = facts(archive(tmp_path, (*etc_files("/real"), link("/etc", "/real")), (f("/etc/motd", "hi\n"),)))
    files = found["files"]
    assert "/etc/motd" in files and "/etc/passwd" not in files and "/etc" not in files
    assert found["users"] == {}


def test_nested_directory_symlinks(tmp_path):
    found = facts(archive(tmp_path, (d("/a"), d("/b"), d("/b/ssh"), f("/b/ssh/sshd_config", SSHD),
                                     link("/a/ssh", "/b/ssh"), link("/etc", "a"))))
    assert found["files"]["/etc/ssh/sshd_config"]["contents"] == SSHD
    assert "/a/ssh/sshd_config" in found["files"]


@pytest.mark.parametrize("links", [
    (link("/usr/bin/X11", "."),),
    (link("/loop", "/"),),
    (link("/usr/up", ".."),),
    (link("/usr/bin/a", "/usr/lib"), link("/usr/lib/b", "/usr/bin")),
    (link("/p", "/q"), link("/q", "/p")),
], ids=["self", "root", "parent", "mutual", "link-loop"])
def test_symlink_loops_are_not_entered(tmp_path, links):
    base = (d("/usr"), d("/usr/bin"), d("/usr/lib"), f("/usr/bin/tool", "x"), f("/usr/lib/lib.so", "y"))
    files = facts(archive(tmp_path, (*base, *links)))["files"]
    assert len(files) < 20, sorted(files)


def test_mutual_links_list_each_side_once(tmp_path):
    base = (d("/usr"), d("/usr/bin"), d("/usr/lib"), f("/usr/bin/tool", "x"), f("/usr/lib/lib.so", "y"))
    files = facts(archive(tmp_path, (*base, link("/usr/bin/a", "/usr/lib"), link("/usr/lib/b", "/usr/bin"))))["files"]
    assert "/usr/bin/a/lib.so" in files and "/usr/lib/b/tool" in files
    assert not any(p.startswith(("/usr/bin/a/b/", "/usr/lib/b/a/")) for p in files), sorted(files)


def test_paths_seen_through_symlinks_are_bounded(tmp_path):
    many = tuple(f(f"/data/f{i}", "") for i in range(30))
    image = archive(tmp_path, (d("/data"), *many, link("/a", "/data"), link("/b", "/data")))
    assert len(facts(image, Limits(max_aliases=60))["files"]) == 1 + 30 + 2 + 60
    with pytest.raises(InputError) as caught:
        facts(image, Limits(max_aliases=40))
    assert "more than 40 paths seen through directory symlinks (at /b)" in caught.value.message
    assert caught.value.path == str(image)


def test_a_link_to_a_file_of_another_name_is_reported_not_silently_empty(tmp_path):
    image = archive(tmp_path, (d("/etc"), d("/opt"), f("/opt/accounts", PASSWD), link("/etc/passwd", "/opt/accounts")))
    result = extract_image_path(image, OPTIONS)
    assert "contents" not in result.facts["files"]["/etc/passwd"]
    assert "/etc/passwd: contents not kept, it leads to /opt/accounts, which has another name " \
           "(pass --content /opt/accounts to keep it)" in result.warnings
    options = ExtractOptions(run_syft=False, content_paths=(*OPTIONS.content_paths, "/opt/accounts"))
    assert "toor" in extract_image_path(image, options).facts["users"]


def test_whiteout_under_a_lower_layer_symlink_hides_the_linked_directory(tmp_path):
    # The upper layer holds an `etc` directory with the whiteout: overlayfs shows it, not /real.
    found = facts(archive(tmp_path, (*etc_files("/real"), link("/etc", "/real")), (Entry("/etc/.wh.passwd"),)))
    assert not any(p.startswith("/etc") for p in found["files"]), sorted(found["files"])
    assert "/real/passwd" in found["files"]
