"""`regate publish` to a directory and to a plain bundle service (HTTP PUT), and
`regate opa-config` for such a service, checked by a real OPA that pulls, verifies
and serves the bundle; what OPA's OCI downloader needs from the artifact; and
clear errors for what cannot be published or configured."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import yaml

from engine.gatehelpers import opa_server, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from fleet.fleethelpers import PRODUCTION, make_key, members, production_files, write_tarball
from regate.publish import CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE, REVISION_ANNOTATION
from regate.signing import Signing

TOKEN = "publish-token-for-tests"


class BundleService(BaseHTTPRequestHandler):
    """A private bundle service: with the bearer token, PUT stores a file and GET serves it."""

    stored: dict[str, bytes] = {}

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self.send_response(401)
        self.end_headers()
        return False

    def do_PUT(self):
        if not self._authorized():
            return
        self.stored[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.end_headers()

    def do_GET(self):
        if not self._authorized():
            return
        content = self.stored.get(self.path)
        self.send_response(200 if content else 404)
        self.send_header("Content-Type", "application/gzip")
        self.end_headers()
        self.wfile.write(content or b"")

    def log_message(self, *args):
        pass


@pytest.fixture()
def service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BundleService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("signed")
    key = make_key(directory, "ES256")
    bundle = directory / "production.tar.gz"
    compiled = regate("compile", PRODUCTION, "-o", bundle, "--signing-key", key.private, "--signing-alg", "ES256",
                      "--key-id", "k1")
    assert compiled.returncode == 0, compiled.stderr
    return key, bundle, json.loads(members(bundle)[".manifest"])["revision"]


def test_put_to_a_bundle_service_that_opa_then_pulls_and_verifies(opa, service, signed, tmp_path, monkeypatch):
    key, bundle, revision = signed
    url = f"{service}/bundles/production.tar.gz"
    refused = regate("publish", bundle, url, "--token", "wrong")
    assert refused.returncode == 2 and "HTTP 401" in refused.stderr and "check the token" in refused.stderr
    published = regate("publish", bundle, url, env={**os.environ, "REGATE_PUBLISH_TOKEN": TOKEN})
    assert published.returncode == 0, published.stderr
    assert f"published revision {revision[:12]} (signed)" in published.stderr
    assert BundleService.stored["/bundles/production.tar.gz"] == bundle.read_bytes()

    config = tmp_path / "opa.yaml"
    written = regate("opa-config", "--service", url, "--verification-key", key.public, "--key-id", "k1",
                     "--signing-alg", "ES256", "--polling", "1-2s", "--token-env", "BUNDLE_TOKEN", "-o", config)
    assert written.returncode == 0, written.stderr
    settings = yaml.safe_load(config.read_text())
    assert settings["services"]["bundles"] == {"url": service, "credentials": {"bearer": {"token": "${BUNDLE_TOKEN}"}}}
    assert settings["bundles"]["regate"]["resource"] == "bundles/production.tar.gz"
    monkeypatch.setenv("BUNDLE_TOKEN", TOKEN)  # the OPA server's environment
    with opa_server(opa, "--config-file", str(config)) as opa_url:
        served = requests.get(f"{opa_url}/v1/data/system/bundles", timeout=5).json()["result"]
        assert served["regate"]["manifest"]["revision"] == revision


def test_publish_into_a_directory(signed, tmp_path):
    _, bundle, revision = signed
    published = regate("publish", bundle, tmp_path)
    assert published.returncode == 0, published.stderr
    assert (tmp_path / bundle.name).read_bytes() == bundle.read_bytes()


def test_the_oci_artifact_is_what_opas_downloader_looks_for(registry, signed):
    _, bundle, revision = signed
    published = regate("publish", bundle, registry.oci("policies/media", "v1"), "--plain-http")
    assert published.returncode == 0, published.stderr
    manifest = requests.get(f"http://{registry.address}/v2/policies/media/manifests/v1", timeout=10,
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).json()
    assert manifest["config"]["mediaType"] == CONFIG_MEDIA_TYPE
    assert [layer["mediaType"] for layer in manifest["layers"]] == [LAYER_MEDIA_TYPE]
    assert manifest["annotations"][REVISION_ANNOTATION] == revision
    layer = requests.get(f"http://{registry.address}/v2/policies/media/blobs/{manifest['layers'][0]['digest']}",
                         timeout=10)
    assert layer.content == bundle.read_bytes()


@pytest.mark.parametrize("target, message", [
    ("oci://127.0.0.1:9/Upper/Case:v1", "give an OCI reference"),
    ("oci://127.0.0.1:9/policies/regate", "give an OCI reference"),
    ("ftp://example.com/x", "publish to oci://"),
    ("no/such/directory", "no such directory"),
    ("oci://127.0.0.1:9/policies/regate:v1", "cannot push to 127.0.0.1:9"),
])
def test_publish_errors_name_the_target(signed, target, message):
    _, bundle, _ = signed
    failed = regate("publish", bundle, target, "--plain-http" if target.startswith("oci") else "--insecure")
    assert failed.returncode == 2
    assert message in failed.stderr


def test_publish_refuses_what_is_not_a_regate_bundle(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a bundle")
    failed = regate("publish", junk, tmp_path)
    assert failed.returncode == 2 and "is not a bundle" in failed.stderr
    no_manifest = write_tarball(tmp_path / "plain.tar.gz", {"x.rego": b"package x\n"})
    failed = regate("publish", no_manifest, tmp_path)
    assert failed.returncode == 2 and "without a .manifest revision" in failed.stderr


def test_opa_config_with_a_shared_secret_scope_and_reporting_service(opa, registry, tmp_path, service, monkeypatch):
    """An HS256 fleet: the secret stays out of the file (OPA substitutes it from its environment), and
    the scope the bundle was signed with is required."""
    key = make_key(tmp_path, "HS256")
    bundle = write_tarball(tmp_path / "b.tar.gz", production_files(Signing(key.private, "HS256", scope="prod")))
    target = registry.oci("policies/hs", "v1")
    assert regate("publish", bundle, target, "--plain-http").returncode == 0
    written = regate("opa-config", "--service", target, "--plain-http", "--verification-key", key.public,
                     "--signing-alg", "HS256", "--scope", "prod", "--polling", "1s", "--status", service)
    assert written.returncode == 0, written.stderr
    assert key.private.read_text() not in written.stdout
    settings = yaml.safe_load(written.stdout)
    assert settings["keys"]["default"] == {"algorithm": "HS256", "key": "${REGATE_BUNDLE_SECRET}"}
    assert settings["bundles"]["regate"]["signing"] == {"keyid": "default", "scope": "prod"}
    assert settings["status"] == {"service": "reporting"} and settings["services"]["reporting"] == {"url": service}
    config = tmp_path / "opa.yaml"
    config.write_text(written.stdout)
    monkeypatch.setenv("REGATE_BUNDLE_SECRET", key.private.read_text())  # the OPA servers' environment
    with opa_server(opa, "--config-file", str(config)) as url:
        status = requests.get(f"{url}/v1/status", timeout=5).json()["result"]["bundles"]["regate"]
        assert status["active_revision"] == json.loads(members(bundle)[".manifest"])["revision"]


@pytest.mark.parametrize("args, message", [
    (["--service", "oci://r.example/p:v1", "--polling", "30-10s"], "MIN ≤ MAX"),
    (["--service", "oci://r.example/p:v1", "--polling", "often"], "give seconds"),
    (["--service", "https://bundles.example.com/"], "give oci://"),
    (["--service", "https://user:pw@bundles.example.com/b.tar.gz"], "no credentials"),
    (["--service", "https://bundles.example.com/b.tar.gz", "--plain-http"], "--plain-http is for oci://"),
    (["--service", "oci://r.example/p:v1", "--scope", "prod"], "give --verification-key too"),
    (["--service", "oci://r.example/p:v1", "--decision-logs", "syslog"], "give `console`"),
])
def test_opa_config_errors(args, message):
    failed = regate("opa-config", *args)
    assert failed.returncode == 2
    assert message in failed.stderr


def test_opa_config_refuses_a_private_key(tmp_path):
    key = make_key(tmp_path, "RS256")
    failed = regate("opa-config", "--service", "oci://r.example/p:v1", "--verification-key", key.private)
    assert failed.returncode == 2 and "only the public key" in failed.stderr


def test_opa_config_without_a_key_says_the_fleet_takes_unsigned_bundles():
    written = regate("opa-config", "--service", "https://bundles.example.com/b.tar.gz")
    assert written.returncode == 0
    assert "signing" not in yaml.safe_load(written.stdout)["bundles"]["regate"]
    assert "will activate any bundle" in written.stderr
