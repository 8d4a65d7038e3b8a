"""Keys, signed bundles and stock OPA's verdict on them, shared by the fleet tests."""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from regate.bundle import bundle_files, tarball
from regate.compile import compile_policies
from regate.signing import Signing

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "examples" / "production"
INPUTS = sorted((PRODUCTION / "inputs").glob("*.json"))


@dataclass(frozen=True)
class KeyPair:
    algorithm: str
    private: Path
    public: Path


def make_key(directory: Path, algorithm: str, name: str | None = None) -> KeyPair:
    """A fresh key for `algorithm`: PEM files (PKCS#8 private, SPKI public), or one HMAC secret file."""
    name = name or algorithm.lower()
    private, public = directory / f"{name}.pem", directory / f"{name}.pub.pem"
    if algorithm.startswith("HS"):
        private.write_bytes(f"a shared secret, long enough for SHA-512 ({name}), known to signer and fleet".encode())
        return KeyPair(algorithm, private, private)
    curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}.get(algorithm)
    key = ec.generate_private_key(curve) if curve else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return KeyPair(algorithm, private, public)


def production_files(signing: Signing | None = None, policy: Path = PRODUCTION) -> dict[str, bytes]:
    return bundle_files(compile_policies([policy]), signing)


def write_tarball(path: Path, files: dict[str, bytes]) -> Path:
    path.write_bytes(tarball(files))
    return path


def members(path: Path) -> dict[str, bytes]:
    """A .tar.gz's files by name as written (OPA writes a leading `/`)."""
    with tarfile.open(fileobj=io.BytesIO(path.read_bytes())) as tar:
        return {m.name.lstrip("/"): tar.extractfile(m).read() for m in tar if m.isfile()}


def opa_loads(opa, bundle: Path, key: KeyPair | None, *extra: str) -> subprocess.CompletedProcess:
    """Stock `opa run` loading `bundle` with `--verification-key` (exit 0 once loaded, as stdin is empty)."""
    verification = ["--verification-key", str(key.public), "--signing-alg", key.algorithm] if key else []
    return subprocess.run([opa.path, "run", *verification, *extra, "--bundle", str(bundle)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
