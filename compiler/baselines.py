"""The baselines people have → the input document a build is compared with (`--baseline`).

- a document written by `regate extract`;
- a JSON report of `regate check` (`--format json` embeds the document it evaluated);
- an image archive or OCI layout, or a reference the Docker daemon knows, extracted on the fly;
- an http(s) URL serving either JSON, e.g. the last approved document kept by a release job;

given with `--baseline`, or by the policy: `baseline "PATH|URL"` in the mapping that matches the image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .engine.policy import PolicyInfo
from .errors import InputError, UserError
from .extract.base import ExtractOptions
from .extract.jsonload import starts_like_json
from .subjects import looks_like_path

FETCH_TIMEOUT = 60.0
_HINT = ("a baseline is a document from `regate extract`, a `regate check --format json` report, an image "
         "(archive, OCI layout or daemon reference) or an http(s) URL serving one of the JSON ones")


def load_baseline_source(spec: str, options: ExtractOptions) -> dict:
    """The baseline document `spec` names, checked against the schema."""
    from .extract.document import build_document
    from .extract.registry import extract_image

    if spec.startswith(("http://", "https://")):
        return baseline_from_json(_fetch(spec), spec)
    path = Path(spec)
    if path.is_file() and starts_like_json(path):
        from .extract.jsonload import load_json

        return baseline_from_json(load_json(path), spec)
    if not path.exists() and looks_like_path(spec):
        raise InputError(spec, "no such file or directory (--baseline)")
    return build_document([extract_image(spec, options)])


def mapping_baseline(policy: PolicyInfo, mapping_id: str | None) -> str | None:
    """The baseline the mapping that chose the policies names (`baseline "..."`): a URL as
    written, a path relative to the policy file that declares the mapping."""
    for mapping in policy.config.get("mappings") or []:
        if mapping.get("id") != mapping_id or not mapping.get("baseline"):
            continue
        location = mapping["baseline"]
        if location.startswith(("http://", "https://")):
            return location
        file = str(mapping.get("source", "")).rsplit(":", 2)[0]
        return str(Path(policy.source_path(file)).parent / location) if file else location
    return None


def baseline_from_json(doc: Any, where: str) -> dict:
    """A regate document, or the one document a `regate check` JSON report embeds."""
    from .extract.validation import load_input_document

    if isinstance(doc, dict) and "report_version" in doc and "schema_version" not in doc:
        inputs = [r.get("input") for r in doc.get("results") or [] if isinstance(r, dict)]
        if len(inputs) != 1 or not isinstance(inputs[0], dict):
            raise InputError(where, f"is a regate check report of {len(inputs)} images with "
                                    f"{sum(isinstance(i, dict) for i in inputs)} input documents; a baseline is one "
                                    "image's: use the report of that image alone, written by this version of regate")
        return load_input_document(inputs[0], where, _HINT)
    return load_input_document(doc, where, _HINT)


def _fetch(url: str) -> Any:
    import urllib.error  # only for a URL: urllib.request imports http, email and ssl
    import urllib.request

    from .extract.jsonload import MAX_JSON_BYTES, parse_json

    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            body = response.read(MAX_JSON_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise UserError(f"--baseline {url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise UserError(f"--baseline {url}: cannot fetch it: {reason}") from None
    if len(body) > MAX_JSON_BYTES:
        raise InputError(url, f"is larger than {MAX_JSON_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(url, "is not UTF-8 JSON") from None
    return parse_json(text, url)
