"""Hostile and broken JSON: each gets a clear InputError naming the file, never a traceback."""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path

import pytest
import yaml

from corpus_helpers import corpus, raw
from engine.gatehelpers import EXAMPLES, regate
from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.document import DocumentInvalid, build_document
from regate.extract.jsonload import MAX_JSON_DEPTH, load_json
from regate.extract.registry import extract_image, extract_json, extract_path


def refused(path, **kwargs) -> InputError:
    with pytest.raises(InputError) as caught:
        extract_path(path, ExtractOptions(), **kwargs)
    assert caught.value.path == str(path)
    return caught.value


def test_truncated_json(write_json):
    text = corpus("grype/grype-repo_keycloak-21.0.2_rhel9.1_explain-fixture.json").read_text()
    error = refused(write_json(text[: len(text) // 2]))
    assert "invalid JSON at line" in error.message and "truncated" in error.message


def test_invalid_json_gives_line_and_column(write_json):
    error = refused(write_json('{\n  "matches": [\n    {"artifact": }\n  ]\n}'))
    assert error.message.startswith("invalid JSON at line 3 column 18")


# The parser reads the text inside arrays (that is how it limits the depth): text that closes them
# and opens others is still no JSON document.
@pytest.mark.parametrize("text", ['{"a": 1}], [{"matches": []}', "1],[2", "[1]]", '{"a": 1}]'])
def test_text_that_would_close_the_arrays_it_is_read_in_is_refused(write_json, text):
    assert refused(write_json(text)).message.startswith("invalid JSON at line 1 column ")


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_deep_nesting_is_refused_before_it_hurts(write_json, text):
    error = refused(write_json(text))
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in error.message


def test_nesting_just_over_the_limit(write_json):
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(write_json(ok)) is not None
    error = refused(write_json("[" + ok + "]"))
    assert "(under /0/0/0" in error.message


# 254 is as deep as orjson serialises (the depth check's quick path); deeper ones up to the limit are walked.
@pytest.mark.parametrize("depth", [253, 254, 255, MAX_JSON_DEPTH])
@pytest.mark.parametrize("open_, close", [("[", "]"), ('{"a":', "}")])
def test_nesting_up_to_the_limit_is_read_either_way(write_json, depth, open_, close):
    assert load_json(write_json(open_ * depth + "0" + close * depth)) is not None


def test_nesting_over_the_limit_beside_an_integer_orjson_cannot_write_is_refused(write_json):
    error = refused(write_json('{"big": 123456789012345678901234567890, "deep": ' + "[" * 300 + "]" * 300 + "}"))
    assert "(under /deep/0/0" in error.message


def test_files_over_the_size_cap_are_not_read(tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:  # sparse: 600 MB on paper, a few bytes on disk
        handle.write(b'{"padding": "')
        handle.truncate(600 * 1024 * 1024)
    error = refused(huge)
    assert "over the 536,870,912-byte limit" in error.message


def test_size_cap_is_configurable(write_json):
    path = write_json({"padding": "x" * 5000})
    error = refused(path, max_json_bytes=1000)
    assert "is 5,015 bytes, over the 1,000-byte limit" in error.message


@pytest.mark.parametrize("text, words", [
    ("42", "a JSON value that is a number is not a format regate knows"),
    ('"an SBOM"', "a JSON value that is a string is not a format regate knows"),
    ("null", "a JSON value that is null is not a format regate knows"),
    ("[1, 2, 3]", "a JSON array of 3 item(s) (a number) is not a format regate knows"),
    ('[{"a": 1}, "b"]', "a JSON array of 2 item(s) (a string, an object) is not a format regate knows"),
    ("{}", "an empty JSON object is not a format regate knows"),
    ('{"bomFormat": "SPDX", "specVersion": "1.5", "serialNumber": "x"}', "a JSON object with keys bomFormat, specVersion, serialNumber is not"),
])
def test_json_of_the_wrong_shape(write_json, text, words):
    error = refused(write_json(text))
    assert words in error.message
    assert "accepted formats:" in error.message and "Grype JSON" in error.message


@pytest.mark.parametrize("text, words", [
    ('{"a": NaN}', "NaN is not valid JSON"),
    ('{"a": -Infinity}', "-Infinity is not valid JSON"),
    ("   \n", "is empty"),
])
def test_not_quite_json(write_json, text, words):
    assert words in refused(write_json(text)).message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "caf\xe9"}'.encode("latin-1"))
    assert "is not UTF-8 text" in refused(path).message


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + corpus("image-config/anchore-engine_nginx-1.19.5_image_config.json").read_bytes())
    assert extract_path(path, ExtractOptions()).source.format == "image-config"


def test_missing_file(tmp_path):
    assert "no such file" in refused(tmp_path / "nope.json").message


@pytest.mark.parametrize("doc, pointer", [
    ({"descriptor": {"name": "grype"}, "matches": [{"artifact": "busybox", "vulnerability": {"id": "CVE-1"}}]}, "/matches/0/artifact"),
    ({"descriptor": {"name": "grype"}, "matches": [{"artifact": {"name": "a", "version": "1", "type": "apk"}, "vulnerability": {}}]}, "/matches/0/vulnerability/id"),
    ({"descriptor": {"name": "syft"}, "artifacts": [{"name": "a", "version": ["1"]}]}, "/artifacts/0/version"),
    ({"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": {"oops": 1}}]}, "/Results/0/Vulnerabilities"),
    ({"architecture": "amd64", "rootfs": {"diff_ids": []}, "config": {"ExposedPorts": {"eighty/tcp": {}}}}, "/config/ExposedPorts/eighty~1tcp"),
    ({"architecture": "amd64", "rootfs": {"diff_ids": []}, "config": {"Labels": {"a": 1}}}, "/config/Labels/a"),
    ([{"Id": "sha256:1", "Config": {"Env": "PATH=/bin", "User": ["root"]}, "RootFS": {"Layers": []}}], "/0/Config/User"),
])
def test_wrong_types_inside_a_known_format_name_the_pointer(write_json, doc, pointer):
    assert refused(write_json(doc)).pointer == pointer


def test_several_images_in_one_inspect_output(write_json):
    one = raw("image-config/anchore-engine_busybox_docker-inspect.extracted.json")
    assert "inspects 2 images" in refused(write_json([one, one])).message


def test_a_directory_that_is_not_an_image(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert "is a directory that is not an OCI layout" in refused(tmp_path).message


_REPLACEMENTS = ["text", 7, 2.5, True, None, [], {}, ["x"], {"x": 1}]


def _pointers(doc, prefix=""):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _pointers(value, f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _pointers(value, f"{prefix}/{index}")


def _replace(doc, pointer, value):
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value


FUZZED = [
    "syft/anchore-engine_alpine-latest_syft-0.15.2.json",
    "syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json",
    "syft/guac_alpine-latest_syft-0.58.0_cyclonedx-1.4.json",
    "syft/guac_alpine-latest_syft-0.57.0_spdx-2.2.json",
    "grype/grype-repo_keycloak-21.0.2_rhel9.1_explain-fixture.json",
    "grype/defectdojo_busybox-1.32.1_grype-0.94.0_epss.json",
    "trivy/trivy-repo_centos-7_golden.json",
    "trivy/defectdojo_fs_misconfig_secrets.json",
    "image-config/anchore-engine_busybox_docker-inspect.extracted.json",
    "image-config/anchore-engine_nginx-1.19.5_image_config.json",
    "anchore-outputs/anchore-engine_export_busybox.json",
]


@pytest.mark.parametrize("name", FUZZED)
def test_values_of_unexpected_types_never_crash(write_json, name):
    """Replace random values of a real file with values of other types: every result is
    either a schema-valid document or an InputError, never another exception."""
    original = raw(name)
    pointers = [p for p in _pointers(original) if p]
    rng = random.Random(name)
    outcomes = {"document": 0, "refused": 0}
    for _ in range(100):
        doc = copy.deepcopy(original)
        _replace(doc, rng.choice(pointers), rng.choice(_REPLACEMENTS))
        try:
            build_document([extract_json(doc, name)])  # validates the document against the schema
        except InputError as exc:
            assert exc.path == name
            outcomes["refused"] += 1
        else:
            outcomes["document"] += 1
    assert outcomes["document"] and outcomes["refused"], outcomes


def test_image_option_with_a_file_that_is_no_image():
    sbom = corpus("syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json")
    with pytest.raises(InputError) as caught:
        extract_image(str(sbom), ExtractOptions())
    assert "is not a docker-archive or OCI archive" in caught.value.message


# Issue #8: values that crashed an adapter or put NaN/Infinity in the document (reproducers s01–s05
# of /work/shared/reproducers are these corpus files with the one value replaced).
GRYPE = "grype/defectdojo_busybox-1.32.1_grype-0.94.0_epss.json"
ANCHORE = "anchore-outputs/anchore-engine_export_busybox.json"
TRIVY = "trivy/defectdojo_fs_misconfig_secrets.json"
SHADOW_MODE = "/0/image/imagedata/analysis_report/file_list/files.allinfo/base/~1etc~1shadow/mode"
V3_SCORE = "/Results/0/Vulnerabilities/0/CVSS/nvd/V3Score"
PORTS = "/config/ExposedPorts"

HOSTILE_VALUES = [
    # (id, corpus file, JSON Pointer replaced (through JSON held in strings), value, error pointer, words)
    ("s01-superscript-size", GRYPE, "/source/target/imageSize", "²", "/source/target/imageSize", "expected an integer"),
    ("s01-5000-digit-size", GRYPE, "/source/target/imageSize", "9" * 5000, "/source/target/imageSize", "expected an integer"),
    ("s02-non-ascii-base64", GRYPE, "/source/target/config", "eyJhcmNo\u00e9", "/source/target/config", "is not base64-encoded"),
    ("s03-mode-2**64", ANCHORE, SHADOW_MODE, 2 ** 64, SHADOW_MODE, "integer 18446744073709551616 is out of range"),
    ("s03-mode-negative", ANCHORE, SHADOW_MODE, -1, SHADOW_MODE, "expected an unsigned 32-bit integer, found -1"),
    ("s04-cvss-1e999", TRIVY, V3_SCORE, "1e999", V3_SCORE, "expected a finite number, found '1e999'"),
    ("s05-cvss-nan", TRIVY, V3_SCORE, "NaN", V3_SCORE, "expected a finite number, found 'NaN'"),
    ("cvss-infinity", TRIVY, V3_SCORE, "-Infinity", V3_SCORE, "expected a finite number"),
    ("port-superscript", "image-config/anchore-engine_nginx-1.19.5_image_config.json", PORTS, {"8²/tcp": {}},
     "/config/ExposedPorts/8²~1tcp", "is not a port"),
]


def _replace_through_strings(doc, pointer: str, value):
    """`_replace`, also inside JSON documents held in strings (Anchore's per-file records)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]

    def into(node, rest):
        if isinstance(node, str):
            return json.dumps(into(json.loads(node), rest))
        key = int(rest[0]) if isinstance(node, list) else rest[0]
        node[key] = value if len(rest) == 1 else into(node[key], rest[1:])
        return node

    return into(doc, parts)


@pytest.mark.parametrize("name, pointer, value, error_pointer, words",
                         [case[1:] for case in HOSTILE_VALUES], ids=[case[0] for case in HOSTILE_VALUES])
def test_hostile_values_are_refused_with_their_pointer(write_json, name, pointer, value, error_pointer, words):
    path = write_json(_replace_through_strings(raw(name), pointer, value))
    done = regate("extract", path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"regate: error: {path} at {error_pointer}: "), done.stderr
    assert words in done.stderr


def test_non_finite_cvss_fails_the_check_instead_of_reaching_opa(write_json):
    path = write_json(_replace_through_strings(raw(TRIVY), V3_SCORE, "1e999"))
    done = regate("check", "--policy", EXAMPLES / "production" / "production.regate", path)
    assert done.returncode == 2, done.stdout
    assert f"{path} at {V3_SCORE}: expected a finite number" in done.stderr


@pytest.mark.parametrize("literal", ["1e999", "-1E400", "123456789e999"])
def test_number_literals_beyond_a_double_are_refused(write_json, literal):
    original = corpus(TRIVY).read_text()
    text = original.replace('"V3Score": 7.5', f'"V3Score": {literal}', 1)
    assert text != original
    assert f"the number {literal} is out of range" in refused(write_json(text)).message


# orjson reads an integer beyond 64 bits as the nearest float; OPA reads it exactly, and so must regate.
@pytest.mark.parametrize("literal", ["18446744073709551617", "-9223372036854775809", "123456789012345678901234567890"])
@pytest.mark.parametrize("spacing", ["", " ", "\n  "], ids=["compact", "spaced", "indented"])
def test_integers_beyond_64_bits_are_read_exactly(write_json, literal, spacing):
    text = f'{{"a":{spacing}{literal}{spacing},"b":{spacing}[{spacing}{literal}{spacing}]}}'
    read = load_json(write_json(text))
    assert read == {"a": int(literal), "b": [int(literal)]} and type(read["a"]) is int


@pytest.mark.parametrize("text", ['{"digest": "sha256:1234567890123456789012345"}', '{"id": "12345678901234567890"}',
                                  '{"size": 1234567890.12345678901}', '{"a": 1e19}'])
def test_long_digit_runs_that_are_no_wide_integer_read_as_before(write_json, text):
    assert load_json(write_json(text)) == json.loads(text)


def test_a_wide_integer_in_a_prepared_document_reaches_opa_and_the_report_exactly(tmp_path):
    document = json.loads((EXAMPLES / "production" / "inputs" / "vulnerable.json").read_text())
    document["image"]["size"] = 0
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(document).replace('"size": 0', '"size": 18446744073709551617', 1))
    policy = tmp_path / "wide.regate"
    policy.write_text('policy "p" {\n  rule huge warn {\n    when image.size > 999999999999999999\n'
                      '    message "image of {image.size} bytes"\n  }\n}\n')
    for engine in ("cli", "server"):
        report = tmp_path / f"{engine}.json"
        done = regate("check", "--policy", policy, "--engine", engine, "--format", "json", "-o", report, path)
        assert done.returncode == 0, done.stderr
        result = json.loads(report.read_text())["results"][0]
        assert result["input"]["image"]["size"] == 18446744073709551617  # not 1.8446744073709552e+19
        assert [f["message"] for f in result["decision"]["findings"]] == ["image of 18446744073709551617 bytes"]


def test_an_integer_beyond_64_bits_in_the_facts_stays_an_integer_in_the_document():
    extraction = extract_json(raw(TRIVY), "trivy.json")
    vuln = next(iter(extraction.facts["vulnerabilities"].values()))
    vuln["risk"] = 2**64 + 1  # the facts are copied through JSON text: it must not come back a float
    document = build_document([extraction])
    assert type(document["vulnerabilities"][vuln["key"]]["risk"]) is int
    assert document["vulnerabilities"][vuln["key"]]["risk"] == 2**64 + 1


def test_the_document_never_holds_nan_or_infinity():
    extraction = extract_json(raw(TRIVY), "trivy.json")
    next(iter(extraction.facts["vulnerabilities"].values()))["cvss"][0]["base"] = float("nan")
    with pytest.raises(DocumentInvalid, match="holding NaN or Infinity"):
        build_document([extraction])


# The document is copied through orjson, which writes NaN and Infinity as null: a null token sends
# the facts to the exact check, wherever the value sits (an object member, a first or later item).
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("place", ["member", "first item", "later item"])
def test_no_place_in_the_document_holds_nan_or_infinity(value, place):
    extraction = extract_json(raw(TRIVY), "trivy.json")
    vuln = next(iter(extraction.facts["vulnerabilities"].values()))
    if place == "member":
        vuln["risk"] = value
    else:
        vuln["urls"] = [value] if place == "first item" else ["https://example.com", value]
    with pytest.raises(DocumentInvalid, match=re.escape(f"regate built /vulnerabilities/{vuln['key']} holding NaN or Infinity")):
        build_document([extraction])


def test_text_that_looks_like_a_null_is_kept():
    extraction = extract_json(raw(TRIVY), "trivy.json")
    vuln = next(iter(extraction.facts["vulnerabilities"].values()))
    vuln["description"] = 'a:null [null ,null "x":null'
    assert build_document([extraction])["vulnerabilities"][vuln["key"]]["description"] == 'a:null [null ,null "x":null'


def _first_of_each_format() -> list[str]:
    cases = yaml.safe_load((Path(__file__).parent / "cases" / "corpus.yaml").read_text("utf-8"))
    first: dict[str, str] = {}
    for name, case in cases.items():
        if "format" in case and name.endswith(".json"):
            first.setdefault(case["format"], name)
    return sorted(first.values())


_NUMBER_MEMBER = re.compile(r'(":\s*)-?[0-9]+(?:\.[0-9]+)?(?=\s*[,}\]])')


@pytest.mark.parametrize("name", _first_of_each_format())
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_in_every_input_format_is_refused(write_json, name, literal):
    """Every JSON input format is read by the one parser, which refuses what is not JSON; so no
    adapter ever meets NaN or Infinity as a number of its input."""
    text = corpus(name).read_text("utf-8")
    if _NUMBER_MEMBER.search(text):
        text = _NUMBER_MEMBER.sub(lambda m: m[1] + literal, text, count=1)
    else:  # a file without a number (an image config, an SPDX document): one more member holds it
        text = text.replace("{", f'{{"added": {literal}, ', 1)
    assert f"{literal} is not valid JSON" in refused(write_json(text)).message
