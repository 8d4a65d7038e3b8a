"""image.dockerfile: a Dockerfile given with --dockerfile (actual) or guessed from the history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from corpus_helpers import corpus
from regate.errors import InputError
from regate.extract.dockerfile import guessed_dockerfile, parse_dockerfile
from support.images import BAD, build_image, write_docker_archive
from test_cli import assert_user_error, regate

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "dockerfiles.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_dockerfile_cases(case):
    if "error" in case:
        with pytest.raises(InputError, match=None) as raised:
            parse_dockerfile(case["dockerfile"], "Dockerfile")
        assert case["error"] in str(raised.value)
        assert str(raised.value).startswith("Dockerfile: ")
        return
    instructions = parse_dockerfile(case["dockerfile"], "Dockerfile")
    assert [[i["instruction"], i["value"], i["line"], i["stage"], i["final_stage"]] for i in instructions] == case["expect"]
    assert [i["index"] for i in instructions] == list(range(len(instructions)))
    for index, image in (case.get("images") or {}).items():
        assert {k: v for k, v in instructions[index]["image"].items() if k != "reference"} == image
    assert [i for i in instructions if "image" in i and i["instruction"] != "FROM"] == []
    for index, name in (case.get("stage_names") or {}).items():
        assert instructions[index]["stage_name"] == name


def test_real_dockerfiles():
    """Spot checks against the files as written (tests/fixtures/realworld/dockerfiles, PROVENANCE.md)."""
    path = corpus("dockerfiles/defectdojo.django-debian.Dockerfile")
    instructions = parse_dockerfile(path.read_text(), str(path))
    froms = [i for i in instructions if i["instruction"] == "FROM"]
    assert [(i["stage"], i.get("stage_name"), i["final_stage"]) for i in froms] == [
        (0, "base", False), (1, "build", False), (2, "release", False), (3, "development", False),
        (4, "django-unittests", True)]
    assert froms[0]["image"]["digest"] == "sha256:cea0e6040540fb2b965b6e7fb5ffa00871e632eef63719f0ea54bca189ce14a6"
    assert froms[0]["image"]["tag"] == "3.14.6-slim-trixie"
    assert all("image" not in i for i in froms[1:])  # built on earlier stages
    users = [(i["line"], i["value"]) for i in instructions if i["instruction"] == "USER"]
    # `USER ${uid}` in `release` has the stage's ARG; `development` inherits no ARG (BuildKit would use the
    # base image's environment, else nothing): kept as written.
    assert users == [(108, "root"), (126, "1001"), (151, "root"), (164, "${uid}")]
    run = next(i for i in instructions if i["line"] == 11)
    assert run["value"].startswith("apt-get -y update && apt-get -y upgrade && apt-get -y install")
    assert "libcurl4-openssl-dev && apt-get clean" in run["value"]  # the comment line inside is dropped

    path = corpus("dockerfiles/krol3-vuln-python-sample.Dockerfile")
    by_keyword = {}
    for i in parse_dockerfile(path.read_text(), str(path)):
        by_keyword.setdefault(i["instruction"], []).append(i["value"])
    assert by_keyword["EXPOSE"] == ["50005"]
    assert by_keyword["USER"] == ["root"]
    assert by_keyword["HEALTHCHECK"] == [
        "--interval=30s --timeout=3s --start-period=5s --retries=3 CMD curl -f http://localhost:50005/ || exit 1"]


def test_guessed_as_anchore_guesses():
    """Anchore: `FROM scratch`, then `#(nop)` steps as the instruction they name and other
    steps as RUN; BuildKit's own instruction forms are read as what they say."""
    guessed = guessed_dockerfile([
        {"created_by": "/bin/sh -c #(nop) ADD file:d2ab in / "},
        {"created_by": "/bin/sh -c #(nop)  EXPOSE 80"},
        {"created_by": "/bin/sh -c apt-get update"},
        {"created_by": ""},
        {"created_by": "RUN |2 A=b C=\"d e\" /bin/sh -c make install # buildkit"},
        {"created_by": "EXPOSE map[443/tcp:{} 53/udp:{}]"},
        {"created_by": "USER app"},
        {"created_by": "HEALTHCHECK &{[\"CMD\" \"true\"] \"30s\" \"0s\" \"0s\" '\\x00'}"},
    ])
    assert guessed["mode"] == "guessed" and "path" not in guessed
    assert [(i["instruction"], i["value"]) for i in guessed["instructions"]] == [
        ("FROM", "scratch"), ("ADD", "file:d2ab in /"), ("EXPOSE", "80"), ("RUN", "/bin/sh -c apt-get update"),
        ("RUN", "/bin/sh -c make install"), ("EXPOSE", "443/tcp 53/udp"), ("USER", "app"),
        ("HEALTHCHECK", "&{[\"CMD\" \"true\"] \"30s\" \"0s\" \"0s\" '\\x00'}")]
    assert all(i["final_stage"] and i["stage"] == 0 and "line" not in i for i in guessed["instructions"])
    assert guessed_dockerfile([{"index": 0, "empty_layer": False}]) is None


def test_extract_guesses_from_a_real_image_config():
    done = regate("extract", str(corpus("image-config/anchore-engine_nginx-1.19.5_image_config.json")))
    assert done.returncode == 0, done.stderr
    dockerfile = json.loads(done.stdout)["image"]["dockerfile"]
    assert dockerfile["mode"] == "guessed"
    steps = [(i["instruction"], i["value"]) for i in dockerfile["instructions"]]
    assert steps[0] == ("FROM", "scratch")
    assert ("EXPOSE", "80") in steps and ("STOPSIGNAL", "SIGQUIT") in steps
    assert ("ENV", "NGINX_VERSION=1.19.5") in steps
    assert sum(keyword == "RUN" for keyword, _ in steps) == 1 and len(steps) == 15


def test_extract_with_a_dockerfile_is_actual_and_wins(tmp_path):
    archive = write_docker_archive(build_image(BAD), tmp_path / "image.tar")
    guessed = json.loads(regate("extract", "--no-syft", "--image", str(archive)).stdout)["image"]["dockerfile"]
    assert guessed["mode"] == "guessed"
    assert [(i["instruction"], i["value"]) for i in guessed["instructions"]][1:3] == [
        ("ADD", "rootfs.tar /"), ("COPY", "app /app")]

    dockerfile = corpus("dockerfiles/anchore-ci-tools_node_critical_pass.Dockerfile")
    done = regate("extract", "--no-syft", "--image", str(archive), "--dockerfile", str(dockerfile))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    actual = document["image"]["dockerfile"]
    assert actual["mode"] == "actual" and actual["path"] == str(dockerfile)
    assert [(i["instruction"], i["value"]) for i in actual["instructions"] if i["instruction"] in ("EXPOSE", "USER")] == [
        ("EXPOSE", "8081"), ("USER", "node")]
    assert document["sources"][0] == {"tool": "regate", "format": "dockerfile", "version": document["sources"][0]["version"],
                                      "path": str(dockerfile)}
    # The Dockerfile says how the image was built, not what its config is.
    assert f"dockerfile:{dockerfile}" not in document["coverage"]["image_config"]["sources"]


def test_dockerfile_errors(tmp_path):
    dockerfile = corpus("dockerfiles/krol3-vuln-python-sample.Dockerfile")
    # As an analysis file: the error names the option to use instead.
    refused = regate("extract", str(dockerfile))
    assert refused.returncode == 2 and refused.stdout == "" and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 2 and "pass it with --dockerfile FILE" in refused.stderr  # a near miss: two lines
    config = str(corpus("image-config/anchore-engine_nginx-1.19.5_image_config.json"))
    assert_user_error(regate("extract", "--dockerfile", str(tmp_path / "missing"), config), "no such file")
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM alpine\nRUN <<EOF\necho\n")
    done = regate("extract", "--dockerfile", str(broken),
                  str(corpus("image-config/anchore-engine_nginx-1.19.5_image_config.json")))
    assert_user_error(done, f"{broken}: line 2: heredoc <<EOF is not terminated")


POLICY = """policy "build" {
  rule guessed warn {
    when image.dockerfile.mode == "guessed"
    message "the Dockerfile is guessed"
  }
  rule root_user stop {
    for i in image.dockerfile.instructions where i.instruction == "USER" and i.final_stage and i.value == "root"
    message "USER root at line {i.line}"
  }
}
"""


def test_check_reads_the_dockerfile_given(tmp_path):
    """`regate check --dockerfile`: evaluated by the real OPA, actual vs guessed told apart."""
    policy = tmp_path / "build.regate"
    policy.write_text(POLICY)
    archive = write_docker_archive(build_image(BAD), tmp_path / "image.tar")
    dockerfile = corpus("dockerfiles/krol3-vuln-python-sample.Dockerfile")
    done = regate("check", "--no-syft", "--policy", str(policy), "--format", "json", "--image", str(archive),
                  "--dockerfile", str(dockerfile))
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["results"][0]["decision"]["findings"]
    assert [(f["rule"], f["message"]) for f in findings] == [("root_user", "USER root at line 31")]
    done = regate("check", "--no-syft", "--policy", str(policy), "--format", "json", "--image", str(archive))
    assert done.returncode == 0, done.stderr
    assert [f["rule"] for f in json.loads(done.stdout)["results"][0]["decision"]["findings"]] == ["guessed"]
    two = regate("check", "--no-syft", "--policy", str(policy), "--image", str(archive), "--image", str(archive),
                 "--dockerfile", str(dockerfile))
    assert_user_error(two, "--dockerfile describes one image, but 2 are given")


def test_an_anchore_export_carries_its_dockerfile():
    """Anchore records the Dockerfile it used (here guessed from the history) in image_report."""
    path = corpus("anchore-outputs/anchore-engine_export_busybox.json")
    done = regate("extract", str(path))
    assert done.returncode == 0, done.stderr
    dockerfile = json.loads(done.stdout)["image"]["dockerfile"]
    assert dockerfile["mode"] == "guessed" and "path" not in dockerfile
    assert [(i["instruction"], i["value"]) for i in dockerfile["instructions"]] == [
        ("FROM", "scratch"), ("ADD", "file:5dde1d6e0f6362350d7ebbc85ce82cf4c5032fb74d2c6235dac172e8e102c00f in /"),
        ("CMD", '["sh"]')]
    assert all("line" not in i for i in dockerfile["instructions"])


def test_a_rebuild_changes_no_dockerfile_in_changes(tmp_path):
    """The guessed Dockerfile is the history again: volatile between builds, like the history."""
    from dataclasses import replace

    first = write_docker_archive(build_image(BAD), tmp_path / "first.tar")
    spec = build_image(BAD)
    rebuilt = replace(spec, layers=(replace(spec.layers[0], created_by="ADD file:0123abcd in / "), *spec.layers[1:]))
    second = write_docker_archive(rebuilt, tmp_path / "second.tar")
    baseline = tmp_path / "baseline.json"
    assert regate("extract", "--no-syft", "--image", str(first), "-o", str(baseline)).returncode == 0
    done = regate("extract", "--no-syft", "--image", str(second), "--baseline", str(baseline))
    document = json.loads(done.stdout)
    assert document["image"]["dockerfile"]["instructions"][1]["value"] == "file:0123abcd in /"
    assert [c for c in document["changes"] if "dockerfile" in c["path"]] == []
