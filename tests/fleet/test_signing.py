"""Signed bundles: `regate compile --signing-key` writes what `opa build --signing-key`
writes, stock OPA accepts it, and OPA, `regate eval --verification-key` and
`regate check --bundle --verification-key` refuse the same tampered bundles (one byte
changed, a file added or removed, another key, another scope, no signature)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile

import jwt
import pytest

from engine.gatehelpers import opa_server, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from fleet.fleethelpers import INPUTS, PRODUCTION, KeyPair, make_key, members, opa_loads, production_files, write_tarball
from regate.engine.policy import read_bundle
from regate.signing import SIGNATURES, Signing, SignatureError, Verification, signatures_file, verify

ALGORITHMS = ["RS256", "RS512", "PS256", "ES256", "ES384", "ES512", "HS256", "HS512"]


def _payload(bundle_files: dict[str, bytes]) -> dict:
    token = json.loads(bundle_files[SIGNATURES])["signatures"][0]
    payload = jwt.decode(token, options={"verify_signature": False})
    return dict(payload, files=sorted(payload["files"], key=lambda f: f["name"]))


def _opa_build(opa, tmp_path, key, *args: str):
    """`opa build --signing-key` over the files of regate's unsigned bundle, run inside the bundle
    directory so module names carry no prefix."""
    source = tmp_path / "unsigned"
    shutil.rmtree(source, ignore_errors=True)
    for name, content in production_files().items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(content)
    out = tmp_path / "opa-signed.tar.gz"
    built = subprocess.run([opa.path, "build", "--bundle", ".", "--signing-key", str(key.private), "--signing-alg",
                            key.algorithm, "-o", str(out), *args], cwd=source, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return out


def test_rs256_signature_is_byte_identical_to_opa_build(opa, tmp_path):
    key = make_key(tmp_path, "RS256")
    ours = production_files(Signing(key.private))
    theirs = members(_opa_build(opa, tmp_path, key))
    assert ours[SIGNATURES] == theirs[SIGNATURES]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_tool_verifies_the_others_signature(opa, tmp_path, algorithm):
    key = make_key(tmp_path, algorithm)
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({"scope": "images", "iss": "platform-team"}))
    ours = production_files(Signing(key.private, algorithm, "ci-key", claims))
    theirs_path = _opa_build(opa, tmp_path, key, "--claims-file", str(claims), "--verification-key-id", "ci-key")
    theirs = members(theirs_path)
    assert _payload(ours) == _payload(theirs)
    assert jwt.get_unverified_header(json.loads(ours[SIGNATURES])["signatures"][0])["kid"] == "ci-key"

    verify(read_bundle(theirs_path), Verification(key.public, algorithm, "images"))
    loaded = opa_loads(opa, write_tarball(tmp_path / "ours.tar.gz", ours), key, "--scope", "images")
    assert loaded.returncode == 0, loaded.stderr


def test_scope_option_is_the_scope_claim(opa, tmp_path):
    key = make_key(tmp_path, "ES256")
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({"scope": "prod"}))
    ours = production_files(Signing(key.private, "ES256", scope="prod"))
    theirs = members(_opa_build(opa, tmp_path, key, "--claims-file", str(claims)))
    assert _payload(ours) == _payload(theirs)


def test_signing_is_deterministic_where_the_algorithm_is(tmp_path):
    rsa, ecdsa = make_key(tmp_path, "RS256"), make_key(tmp_path, "ES256")
    assert production_files(Signing(rsa.private)) == production_files(Signing(rsa.private))
    first, second = (production_files(Signing(ecdsa.private, "ES256")) for _ in range(2))
    assert _payload(first) == _payload(second)
    assert {k: v for k, v in first.items() if k != SIGNATURES} == {k: v for k, v in second.items() if k != SIGNATURES}


def test_stock_opa_server_serves_a_regate_signed_bundle(opa, tmp_path):
    key = make_key(tmp_path, "RS256")
    bundle = tmp_path / "signed.tar.gz"
    signed = regate("compile", PRODUCTION, "-o", bundle, "--signing-key", key.private, "--key-id", "ci")
    assert signed.returncode == 0, signed.stderr
    with opa_server(opa, "--bundle", str(bundle), "--verification-key", str(key.public),
                    "--verification-key-id", "ci") as url:
        revision = json.loads(read_bundle(bundle)[".manifest"])["revision"]
        served = subprocess.run(["curl", "-sf", f"{url}/v1/data/system/bundles"], capture_output=True, text=True)
        assert revision in served.stdout


def test_reformatted_json_still_verifies_because_opa_hashes_its_canonical_form(opa, tmp_path):
    """Structured files are hashed as OPA reads them: key order, spacing and escapes do not count,
    numbers count as written. Data with the escapes Go and Python write differently checks the encoder."""
    key = make_key(tmp_path, "RS256")
    files = production_files()
    data = json.loads(files["data.json"])
    data["regate"]["edge"] = {"z": "<&> \u2028 \u2029 \x01 \t é 😀", "a": [1.0, 1e2, -0, 12345678901234567890]}
    files["data.json"] = json.dumps(data).replace('"edge"', '"edge" ').encode()
    files["data.json"] = files["data.json"].replace(b"1.0, 100.0", b"1.0, 1e2")
    files[SIGNATURES] = signatures_file(files, Signing(key.private))
    files["data.json"] = json.dumps(json.loads(files["data.json"]), indent=3, ensure_ascii=True).replace(
        "100.0", "1e2").encode()
    bundle = write_tarball(tmp_path / "reformatted.tar.gz", files)
    loaded = opa_loads(opa, bundle, key)
    assert loaded.returncode == 0, loaded.stderr
    verify(read_bundle(bundle), Verification(key.public))


# ------------------------------------------------------------------ tampering


def _changed_byte(files, _keys):
    files["regate/policies/production/policy.rego"] += b" "


def _changed_data(files, _keys):
    files["data.json"] = files["data.json"].replace(b'"STOP"', b'"WARN"', 1)


def _added(files, _keys):
    files["regate/extra.rego"] = b"package regate.extra\n\nallow := true\n"


def _removed(files, _keys):
    del files["regate/lib/clock/clock.rego"]


def _unsigned(files, _keys):
    del files[SIGNATURES]


def _other_key(files, keys):
    files[SIGNATURES] = signatures_file({k: v for k, v in files.items() if k != SIGNATURES}, Signing(keys["other"]))


TAMPERING = {"one byte changed": _changed_byte, "data changed": _changed_data, "file added": _added,
             "file removed": _removed, "unsigned": _unsigned, "signed by another key": _other_key}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    return {"ours": make_key(directory, "RS256", "ours"), "other": make_key(directory, "RS256", "other").private}


@pytest.mark.parametrize("tamper", list(TAMPERING), ids=list(TAMPERING))
def test_opa_and_regate_refuse_a_tampered_bundle(opa, tmp_path, keys, tamper):
    files = production_files(Signing(keys["ours"].private))
    TAMPERING[tamper](files, keys)
    bundle = write_tarball(tmp_path / "tampered.tar.gz", files)

    loaded = opa_loads(opa, bundle, keys["ours"])
    assert loaded.returncode != 0 and "load error" in loaded.stdout + loaded.stderr, loaded.stdout
    server = subprocess.run([opa.path, "run", "--server", "--addr", "127.0.0.1:0", "--bundle", str(bundle),
                             "--verification-key", str(keys["ours"].public)],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert server.returncode != 0 and "load error" in server.stdout + server.stderr

    evaluated = regate("eval", "--bundle", bundle, "--verification-key", keys["ours"].public, "--input", INPUTS[0])
    assert evaluated.returncode == 2
    assert "refused, its signature does not hold" in evaluated.stderr
    assert evaluated.stdout == ""

    # The bundle is judged before any image is read: this one is not even an image.
    not_an_image = tmp_path / "not-an-image.json"
    not_an_image.write_text("{broken")
    checked = regate("check", "--bundle", bundle, "--verification-key", keys["ours"].public, not_an_image)
    assert checked.returncode == 2
    assert checked.stderr.startswith(f"regate: error: {bundle}: refused, its signature does not hold")
    assert "not-an-image" not in checked.stderr and checked.stdout == ""


def test_a_signed_bundle_unpacked_to_a_directory_is_refused_by_opa_and_regate(opa, tmp_path, keys):
    directory = tmp_path / "unpacked"
    for name, content in production_files(Signing(keys["ours"].private)).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(content)
    loaded = opa_loads(opa, directory, keys["ours"])
    said = loaded.stdout + loaded.stderr
    assert "load error" in said and ".manifest not included in bundle signature" in said, said
    for command in (["eval", "--input"], ["check"]):
        refused = regate(*command[:1], "--bundle", directory, "--verification-key", keys["ours"].public,
                         *command[1:], INPUTS[0])
        assert refused.returncode == 2 and "a directory bundle cannot be verified" in refused.stderr, refused.stderr
    assert regate("check", "--bundle", directory, INPUTS[0]).returncode == 0  # unverified, it is a bundle like any


def test_a_file_twice_in_the_tarball_is_refused_by_opa_and_regate(opa, tmp_path, keys):
    """A signed bundle with a second, different copy of a module: OPA refuses it; regate must not
    verify one copy and let the engine evaluate the other."""
    files = production_files(Signing(keys["ours"].private))
    module = "regate/policies/production/policy.rego"
    bundle = tmp_path / "twice.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        for name, content in [(module, files[module] + b"\n# changed\n"), *sorted(files.items())]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    assert "load error" in (lambda r: r.stdout + r.stderr)(opa_loads(opa, bundle, keys["ours"]))
    for command in (["eval", "--input"], ["check"]):
        refused = regate(*command[:1], "--bundle", bundle, "--verification-key", keys["ours"].public,
                         *command[1:], INPUTS[0])
        assert refused.returncode == 2 and f"holds {module} twice" in refused.stderr, refused.stderr


def test_wrong_scope_is_refused_by_both(opa, tmp_path, keys):
    bundle = write_tarball(tmp_path / "scoped.tar.gz", production_files(Signing(keys["ours"].private, scope="staging")))
    assert opa_loads(opa, bundle, keys["ours"], "--scope", "prod").returncode != 0
    assert opa_loads(opa, bundle, keys["ours"], "--scope", "staging").returncode == 0
    with pytest.raises(SignatureError, match="scope mismatch"):
        verify(read_bundle(bundle), Verification(keys["ours"].public, scope="prod"))
    verify(read_bundle(bundle), Verification(keys["ours"].public, scope="staging"))


def test_regate_eval_evaluates_a_verified_bundle_with_both_engines(tmp_path, keys):
    bundle = write_tarball(tmp_path / "signed.tar.gz", production_files(Signing(keys["ours"].private)))
    for engine in ("cli", "server"):
        result = regate("eval", "--engine", engine, "--bundle", bundle, "--verification-key", keys["ours"].public,
                        "--format", "json", "--now", "2026-06-01T00:00:00Z", *sum((["--input", p] for p in INPUTS), []))
        assert result.returncode == 1, result.stderr  # the vulnerable example STOPs
        assert [r["decision"]["final_action"] for r in json.loads(result.stdout)["results"]] == ["GO", "STOP"]


def test_regate_check_evaluates_a_verified_bundle_as_it_evaluates_its_sources(tmp_path, keys):
    bundle = write_tarball(tmp_path / "signed.tar.gz", production_files(Signing(keys["ours"].private)))
    now = ("--format", "json", "--now", "2026-06-01T00:00:00Z", *INPUTS)
    temporary = tmp_path / "tmp"  # where the verified copy the engine reads is written, and removed
    temporary.mkdir()
    from_bundle = regate("check", "--bundle", bundle, "--verification-key", keys["ours"].public, *now,
                         env=dict(os.environ, TMPDIR=str(temporary)))
    assert list(temporary.iterdir()) == []
    from_sources = regate("check", "--policy", PRODUCTION, *now)
    assert from_bundle.returncode == from_sources.returncode == 1, from_bundle.stderr
    reports = [json.loads(r.stdout) for r in (from_bundle, from_sources)]
    assert [[r["decision"] for r in report["results"]] for report in reports][0] == \
        [[r["decision"] for r in report["results"]] for report in reports][1]
    assert [r["decision"]["final_action"] for r in reports[0]["results"]] == ["GO", "STOP"]


def test_check_with_a_verified_bundle_pins_the_revision_a_server_serves(opa, tmp_path, keys):
    """With --opa-url, the server verifies what it loads; regate verifies --bundle and refuses a server
    that serves another revision than the verified one."""
    signed = write_tarball(tmp_path / "signed.tar.gz", production_files(Signing(keys["ours"].private)))
    edited = shutil.copytree(PRODUCTION, tmp_path / "edited") / "production.regate"
    edited.write_text(edited.read_text().replace("critical_fixable stop", "critical_fixable warn"))
    other = write_tarball(tmp_path / "other.tar.gz", production_files(policy=edited.parent))
    assert json.loads(read_bundle(other)[".manifest"]) != json.loads(read_bundle(signed)[".manifest"])
    pinned = ("check", "--bundle", signed, "--verification-key", keys["ours"].public, INPUTS[0])
    with opa_server(opa, "--bundle", str(signed), "--verification-key", str(keys["ours"].public)) as url:
        served = regate(*pinned, "--opa-url", url)
        assert served.returncode == 0, served.stderr
    with opa_server(opa, "--bundle", str(other)) as url:
        refused = regate(*pinned, "--opa-url", url)
        assert refused.returncode == 2 and "serves revision" in refused.stderr, refused.stderr


@pytest.mark.parametrize("args, message", [
    (["--policy", PRODUCTION, "--bundle", "{bundle}"], "either as --policy sources or as a compiled --bundle, not both"),
    ([], "give the policy to check against with --policy PATH or --bundle PATH"),
    (["--policy", PRODUCTION, "--verification-key", "{key}"], "--verification-key checks the signature of a compiled bundle"),
    (["--opa-url", "http://127.0.0.1:9", "--verification-key", "{key}"], "verifies the bundles it loads itself"),
    (["--bundle", "{bundle}", "--scope", "prod", "--signing-alg", "ES256"],
     "--signing-alg and --scope: only with --verification-key, the key they describe"),
], ids=["policy and bundle", "neither", "key with policy", "key with a server only", "scope without key"])
def test_check_says_which_policy_to_give(tmp_path, keys, args, message):
    bundle = write_tarball(tmp_path / "signed.tar.gz", production_files(Signing(keys["ours"].private)))
    args = [str(a).format(bundle=bundle, key=keys["ours"].public) for a in args]
    refused = regate("check", *args, INPUTS[0])
    assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr, refused.stderr


def test_a_short_hmac_secret_is_a_regate_warning_as_opa_accepts_it(opa, tmp_path):
    secret = tmp_path / "short-secret"
    secret.write_text("hunter2")
    bundle = tmp_path / "hs.tar.gz"
    signed = regate("compile", PRODUCTION, "-o", bundle, "--signing-key", secret, "--signing-alg", "HS256")
    assert signed.returncode == 0, signed.stderr
    warning = (f"regate: warning: --signing-key {secret}: the HMAC key is 7 bytes long, which is below the minimum "
               "recommended length of 32 bytes for SHA256; a secret this short can be guessed")
    assert warning in signed.stderr
    assert opa_loads(opa, bundle, KeyPair("HS256", secret, secret)).returncode == 0
    checked = regate("check", "--bundle", bundle, "--verification-key", secret, "--signing-alg", "HS256", INPUTS[0])
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.startswith(f"regate: warning: --verification-key {secret}: the HMAC key is 7 bytes long")
    for result in (signed, checked):
        assert "Warning:" not in result.stderr and "hunter2" not in result.stderr and ".py:" not in result.stderr


def test_signing_options_are_checked(tmp_path, keys):
    out = tmp_path / "b.tar.gz"
    assert "give --signing-key too" in regate("compile", PRODUCTION, "-o", out, "--scope", "x").stderr
    broken = tmp_path / "broken.pem"
    broken.write_text("not a key")
    failed = regate("compile", PRODUCTION, "-o", out, "--signing-key", broken)
    assert failed.returncode == 2 and "not an unencrypted PEM private key" in failed.stderr
    assert not out.exists()
    failed = regate("compile", PRODUCTION, "-o", tmp_path / "dir", "--format", "dir", "--signing-key", keys["ours"].private)
    assert failed.returncode == 2 and "cannot verify a signed directory" in failed.stderr
    claims = tmp_path / "claims.json"
    claims.write_text("[1]")
    failed = regate("compile", PRODUCTION, "-o", out, "--signing-key", keys["ours"].private, "--claims-file", claims)
    assert failed.returncode == 2 and "JSON object" in failed.stderr


def test_registered_claims_are_not_judged_as_opa_does_not_judge_them(opa, tmp_path, keys):
    """OPA checks a bundle signature and its scope only: an expired `exp`, an `aud`, a numeric `sub`
    in the claims file do not make it refuse the bundle, so regate does not either."""
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({"exp": 1, "aud": "elsewhere", "sub": 5}))
    bundle = write_tarball(tmp_path / "b.tar.gz", production_files(Signing(keys["ours"].private, claims=claims)))
    assert opa_loads(opa, bundle, keys["ours"]).returncode == 0
    assert verify(read_bundle(bundle), Verification(keys["ours"].public))["exp"] == 1


@pytest.mark.parametrize("algorithm, accepted", [("SHA-512", True), ("SHA-512-256", True), ("SHA-1", True),
                                                 ("SHA3-256", False)])
def test_file_hashes_other_than_sha256_are_judged_as_opa_judges_them(opa, tmp_path, keys, algorithm, accepted):
    """Other signers may hash files with another algorithm the `files` claim names; OPA verifies those it knows."""
    from regate.signing import file_hash

    files = production_files()
    listed = [{"name": name, "hash": file_hash(name, content, algorithm if accepted else "SHA-256"), "algorithm": algorithm}
              for name, content in files.items()]
    token = jwt.encode({"files": listed, "keyid": "default"}, keys["ours"].private.read_bytes(), algorithm="RS256")
    files[SIGNATURES] = json.dumps({"signatures": [token]}).encode()
    bundle = write_tarball(tmp_path / "b.tar.gz", files)
    assert (opa_loads(opa, bundle, keys["ours"]).returncode == 0) is accepted
    if accepted:
        verify(read_bundle(bundle), Verification(keys["ours"].public))
    else:
        with pytest.raises(SignatureError, match="unsupported hashing algorithm"):
            verify(read_bundle(bundle), Verification(keys["ours"].public))
