"""Bundle signatures exactly as OPA makes and checks them (`opa build --signing-key`,
`opa run --verification-key`): `.signatures.json` holds one JWT whose `files`
claim lists every other file of the bundle with its SHA-256.

OPA hashes structured files (`data.json`, `.manifest`) in a canonical form:
objects with sorted keys, numbers as written, strings as Go's encoder writes
them, so a reformatted but equal document still verifies. Other files are
hashed as bytes. Refusals name what OPA would refuse for (v1/bundle/verify.go).
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import UserError

SIGNATURES = ".signatures.json"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "HS256", "HS384", "HS512")
DEFAULT_ALGORITHM = "RS256"
# What `opa build` and `opa run` call the one key given on their command line.
DEFAULT_KEY_ID = "default"
# The signer and verifier OPA registers under this name are the JWT ones implemented here.
_DEFAULT_PLUGIN = "_default"
_HASH = "SHA-256"
# The file hashes OPA verifies (v1/bundle/hash.go), by the name the `files` claim gives them.
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384",
           "SHA-512": "sha512", "SHA-512-224": "sha512_224", "SHA-512-256": "sha512_256"}
_STRUCTURED = ("data.json", ".manifest")
_YAML_DATA = ("data.yaml", "data.yml")


class SignatureError(UserError):
    """A bundle whose signature does not hold: it must not be evaluated."""


@dataclass(frozen=True)
class Signing:
    key: Path
    algorithm: str = DEFAULT_ALGORITHM
    key_id: str = DEFAULT_KEY_ID
    claims: Path | None = None
    scope: str | None = None


@dataclass(frozen=True)
class Verification:
    key: Path
    algorithm: str = DEFAULT_ALGORITHM
    scope: str = ""


# ------------------------------------------------------------------ hashing


class _Number(str):
    """A JSON number kept as written: OPA reads numbers as json.Number and hashes their text."""


def _load_structured(name: str, content: bytes):
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return json.loads(content, parse_int=_Number, parse_float=_Number)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError(f"{name} in the bundle is not valid JSON ({exc}); it cannot be hashed as OPA does") from None


def _encode_string(text: str) -> str:
    # Go's encoder (with HTML escaping off) agrees with Python's except for these two.
    return json.dumps(text, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _canonical(value, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value)):
            out.append("," if i else "")
            out.append(_encode_string(key) + ":")
            _canonical(value[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            out.append("," if i else "")
            _canonical(item, out)
        out.append("]")
    elif isinstance(value, _Number):
        out.append(str.__str__(value))
    elif isinstance(value, str):
        out.append(_encode_string(value))
    else:
        out.append(json.dumps(value))


def file_hash(name: str, content: bytes, algorithm: str = _HASH) -> str:
    """The hex digest OPA records for the bundle file `name` (SHA-256 unless told otherwise)."""
    base = PurePosixPath(name).name
    if base in _YAML_DATA:
        raise SignatureError(f"{name}: YAML data files are not supported in signed bundles (regate writes JSON)")
    if base not in _STRUCTURED:
        return hashlib.new(_HASHES[algorithm], content).hexdigest()
    parts: list[str] = []
    _canonical(_load_structured(name, content), parts)
    return hashlib.new(_HASHES[algorithm], "".join(parts).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ keys


def _read_key(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def _private_key(signing: Signing):
    data = _read_key(signing.key, "signing key")
    if signing.algorithm.startswith("HS"):
        return data
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UserError(f"--signing-key {signing.key}: not an unencrypted PEM private key ({exc})") from None


def _public_key(verification: Verification):
    """The key as OPA accepts it: the HMAC secret, or a PEM public key, private key or certificate."""
    data = _read_key(verification.key, "verification key")
    if verification.algorithm.startswith("HS"):
        return data
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

    if b"-----BEGIN CERTIFICATE-----" in data:
        loaders = (lambda d: x509.load_pem_x509_certificate(d).public_key(),)
    elif b"PRIVATE KEY-----" in data:
        loaders = (lambda d: load_pem_private_key(d, password=None).public_key(),)
    else:
        loaders = (load_pem_public_key,)
    try:
        return loaders[0](data)
    except (ValueError, TypeError) as exc:
        raise UserError(f"--verification-key {verification.key}: not a PEM public key, private key or certificate "
                        f"({exc})") from None


@contextmanager
def _short_secrets_said_plainly(option: str, key: Path):
    """PyJWT warns about an HMAC secret shorter than its hash as a Python warning with a source line.
    OPA accepts such a secret, so regate does too, and says what is wrong in its own words."""
    from jwt.warnings import InsecureKeyLengthWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InsecureKeyLengthWarning)
        yield
    for found in caught:
        if issubclass(found.category, InsecureKeyLengthWarning):
            text = str(found.message).removeprefix("The ").split(" See RFC")[0].rstrip(".")
            print(f"regate: warning: {option} {key}: the {text}; a secret this short can be guessed (RFC 7518, 3.2)",
                  file=sys.stderr)
        else:
            warnings.warn_explicit(found.message, found.category, found.filename, found.lineno)


# ------------------------------------------------------------------ signing


def _claims(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        claims = json.loads(path.read_bytes())
    except OSError as exc:
        raise UserError(f"cannot read --claims-file {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"--claims-file {path}: not JSON ({exc})") from None
    if not isinstance(claims, dict):
        raise UserError(f"--claims-file {path}: must hold a JSON object of claims")
    if "files" in claims:
        raise UserError(f"--claims-file {path}: `files` is the claim regate writes itself")
    return claims


def _opa_order(item: tuple[str, bytes]) -> tuple:
    # `opa build` lists modules, then data, then the manifest: the same order makes the same token.
    name = item[0]
    return name == ".manifest", PurePosixPath(name).name == "data.json", name


def signatures_file(files: dict[str, bytes], signing: Signing) -> bytes:
    """`.signatures.json` for the bundle `files`, as `opa build --signing-key` writes it."""
    import jwt

    listed = [{"name": name, "hash": file_hash(name, content), "algorithm": _HASH}
              for name, content in sorted(files.items(), key=_opa_order) if name != SIGNATURES]
    payload: dict = {"files": listed}
    claims = _claims(signing.claims)
    if signing.scope is not None:
        claims["scope"] = signing.scope
    if claims:
        payload.update(claims)
    else:
        # OPA writes the (deprecated) keyid claim only when no claims are given.
        payload["keyid"] = signing.key_id
    try:
        with _short_secrets_said_plainly("--signing-key", signing.key):
            token = jwt.encode(payload, _private_key(signing), algorithm=signing.algorithm,
                               headers={"kid": signing.key_id, "typ": "JWT"})
    except (jwt.exceptions.PyJWTError, ValueError, TypeError) as exc:
        raise UserError(f"cannot sign with --signing-key {signing.key} and {signing.algorithm}: {exc}") from None
    # Go's json.MarshalIndent(signatures, "", " "), byte for byte.
    return f'{{\n "signatures": [\n  "{token}"\n ],\n "plugin": "{_DEFAULT_PLUGIN}"\n}}'.encode()


# ------------------------------------------------------------------ verifying


def _token(files: dict[str, bytes]) -> str:
    if SIGNATURES not in files:
        raise SignatureError("bundle missing .signatures.json file")
    try:
        document = json.loads(files[SIGNATURES])
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError(f"bundle load failed on signatures decode: {exc}") from None
    if not isinstance(document, dict) or document.get("plugin", "") not in ("", _DEFAULT_PLUGIN):
        raise SignatureError(".signatures.json: not the default signature format (a signing plugin is not supported)")
    tokens = document.get("signatures")
    if not isinstance(tokens, list) or not tokens:
        raise SignatureError(".signatures.json: missing JWT (expected exactly one)")
    if len(tokens) > 1:
        raise SignatureError(".signatures.json: multiple JWTs not supported (expected exactly one)")
    if not isinstance(tokens[0], str):
        raise SignatureError(".signatures.json: the JWT is not a string")
    return tokens[0]


def verify(files: dict[str, bytes], verification: Verification) -> dict:
    """Check a bundle's signature as `opa run --verification-key` does; the JWT's claims, or SignatureError."""
    import jwt

    token = _token(files)
    try:
        with _short_secrets_said_plainly("--verification-key", verification.key):
            payload = jwt.decode(token, _public_key(verification), algorithms=[verification.algorithm],
                                 # OPA checks the signature and the scope, no registered claim.
                                 options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                          "verify_aud": False, "verify_iss": False, "verify_sub": False,
                                          "verify_jti": False})
    except jwt.exceptions.PyJWTError as exc:
        raise SignatureError(f"failed to verify JWT signature: {exc}") from None
    if payload.get("scope", "") != verification.scope:
        raise SignatureError("scope mismatch")
    listed = payload.get("files")
    if not isinstance(listed, list) or not all(isinstance(f, dict) for f in listed):
        raise SignatureError("the JWT has no list of files")
    signed = {str(f.get("name", "")): f for f in listed}
    for name, content in sorted(files.items()):
        if name == SIGNATURES:
            continue
        entry = signed.pop(name, None)
        if entry is None:
            raise SignatureError(f"file {name} not included in bundle signature")
        if entry.get("algorithm") not in _HASHES:
            raise SignatureError(f"unsupported hashing algorithm: {entry.get('algorithm')}")
        if entry.get("hash") != file_hash(name, content, entry["algorithm"]):
            raise SignatureError(f"{name}: digest mismatch")
    if signed:
        raise SignatureError(f"file(s) {sorted(signed)} specified in bundle signatures but not found in the target bundle")
    return payload
