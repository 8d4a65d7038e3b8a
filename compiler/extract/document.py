"""Facts from several inputs → one input document, and the changes against a baseline.

Merge rules (docs/input.md describes them for users):
- collections merge by key; an entry seen twice keeps the first value of each
  field, fills fields the first lacked, and unions list fields (locations,
  licenses, cpes, aliases, urls, cvss), except that of two severities the more
  severe is kept, of two CVSS, EPSS or risk scores the higher, and a fix one input
  knows over another's "no fix";
- `image` fields are taken from the first input that has them, inputs ranked
  image/config first, then SBOMs, then scanner reports (input order within a
  rank); the layer list is merged layer by layer when the inputs agree on it;
- inputs describing images with different ids are an error, not a merge.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any, Callable, Iterable

import orjson

from ..collector import paused
from ..errors import InputError, UserError
from ..resources import INPUT_SCHEMA_VERSION
from .adapters.imageconfig import merge_layers, parse_reference
from .adapters.normalize import SEVERITIES
from .base import Extraction, Facts
from .conceal import conceal
from .coverage import coverage
from .dockerfile import guessed_dockerfile
from .jsonload import loads_exactly
from .validation import schema_errors

COLLECTIONS = ("packages", "vulnerabilities", "files", "secrets", "users", "misconfigurations")
# Collections a document has only when an input provided them (absent: nobody looked).
OPTIONAL_COLLECTIONS = ("malware",)

SBOM_FORMATS = frozenset({"syft-json", "cyclonedx-json", "spdx-json"})
REPORT_FORMATS = frozenset({"grype-json", "trivy-json"})

class DocumentInvalid(Exception):
    """regate produced a document its own schema rejects: a bug in regate, never the user's input."""


def _empty(value: Any) -> bool:
    # "unknown" carries no information: a later input that knows better wins.
    if value is None or value == "unknown":
        return True
    if isinstance(value, dict) and value.get("state") == "unknown" and not value.get("versions"):
        return True
    return value in ("", [], {})


def _marker(item: Any) -> bytes:
    try:
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # integers past 64 bits
        return json.dumps(item, sort_keys=True).encode()


_STRINGS = frozenset({str})


def _union(first: list, second: list) -> list:
    if {*map(type, first), *map(type, second)} <= _STRINGS:
        # Most lists hold strings (cpes, licenses, locations, urls), whose markers are as distinct as they are.
        if first == second:
            return list(first)
        known = set(first)
        return [*first, *(item for item in dict.fromkeys(second) if item not in known)]
    seen = {_marker(item) for item in first}
    out = list(first)
    for item in second:
        marker = _marker(item)
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out


def merge_entry(existing: dict, new: dict) -> None:
    """Fold `new` into `existing`, two descriptions of the same keyed entry."""
    for field, value in new.items():
        current = existing.get(field)
        if current == value and current is not None:
            # The rules below keep an equal value as it is, but for lists of other than strings and the
            # lists inside an entry (_union keeps 1, 1.0 and True apart, which compare equal).
            kind = type(current)
            if (kind is not list or {*map(type, current)} <= _STRINGS) and (kind is not dict or "key" not in current):
                continue
        if field in _DECIDED and not _empty(current) and not _empty(value):
            existing[field] = _DECIDED[field](current, value)
            continue
        if type(current) is str and current and current != "unknown":
            continue  # a string stated first is kept (most fields: decided before the rules below)
        if _empty(current):
            if not _empty(value) or field not in existing:
                existing[field] = value
        elif isinstance(current, list) and isinstance(value, list):
            existing[field] = _union(current, value)
        elif isinstance(current, bool) and isinstance(value, bool):
            existing[field] = current or value
        elif _same_entry(current, value):  # a vulnerability's package, found at one more place
            merge_entry(current, value)


def _more_severe(current: Any, new: Any) -> Any:
    if current in SEVERITIES and new in SEVERITIES and SEVERITIES.index(new) > SEVERITIES.index(current):
        return new
    return current


def _known_fix(current: Any, new: Any) -> Any:
    """A fix version one input knows is not undone by another's `not-fixed` or `wont-fix`; two
    known fixes list the versions of both."""
    if not isinstance(current, dict) or not isinstance(new, dict) or new.get("state") != "fixed" \
            or not new.get("versions"):
        return current
    if current.get("state") != "fixed" or not current.get("versions"):
        return new
    return {**new, **current, "versions": _union(current["versions"], new["versions"])}


def _higher_score(member: str | None) -> Callable[[Any, Any], Any]:
    """Of two values of a score field (itself a number, or an object whose `member` is one), the higher."""
    def score(value: Any) -> Any:
        if member is not None:
            value = value.get(member) if isinstance(value, dict) else None
        return value if type(value) in (int, float) else None

    def kept(current: Any, new: Any) -> Any:
        known, other = score(current), score(new)
        return new if known is not None and other is not None and other > known else current

    return kept


# Fields whose value, when two descriptions of one entry state different ones, is decided rather
# than the first one's: otherwise a gate's verdict would hang on the order of its inputs. Each keeps
# what makes a rule fire, as a gate errs towards STOP: the more severe rating, a known fix, the
# higher score (these fields promise the highest published).
_DECIDED: dict[str, Callable[[Any, Any], Any]] = {
    "severity": _more_severe,
    "fix": _known_fix,
    "nvd_cvss": _higher_score("base"),
    "vendor_cvss": _higher_score("base"),
    "epss": _higher_score("score"),
    "risk": _higher_score(None),
}


def _same_entry(current: Any, value: Any) -> bool:
    return isinstance(current, dict) and isinstance(value, dict) and "key" in current and current["key"] == value.get("key")


# While an adapter reads one input (registry.extract_json): the fields that input states twice for
# one entry with different values. The first value is kept (but for the fields of `_DECIDED`); the
# others are reported in a warning.
DISAGREEMENTS: ContextVar[list[str] | None] = ContextVar("disagreements", default=None)


def _disagreeing(existing: dict, new: dict) -> list[str]:
    # Most fields two inputs state for one entry are equal: that test comes first (merging a report
    # into an SBOM compares every entry).
    return [field for field, value in new.items()
            if (current := existing.get(field)) != value and not isinstance(value, (list, bool))
            and not _empty(value) and not _empty(current) and not _same_entry(current, value)
            and not (field == "purl" and _same_purl(current, value))]


def _same_purl(first: Any, second: Any) -> bool:
    """Two spellings of one purl: the spec orders qualifiers by key, and Grype writes a package's
    purl with them in another order than the Syft SBOM it matched (`?arch=..&upstream=..&distro=..`)."""
    def canonical(purl: str) -> tuple:
        head, _, rest = purl.partition("?")
        qualifiers, _, subpath = rest.partition("#")
        return head, sorted(qualifiers.split("&")), subpath

    return isinstance(first, str) and isinstance(second, str) and canonical(first) == canonical(second)


def disagreement_warning(noted: list[str], kept: str) -> str:
    shown = ", ".join(noted[:5]) + (f" and {len(noted) - 5} more" if len(noted) > 5 else "")
    return f"{len(noted)} fields {kept}: {shown}"


def add_entry(facts: Facts, collection: str, key: str, entry: dict) -> None:
    """Add an entry to a collection of `facts`, merging with an entry of the same key."""
    bucket = facts.setdefault(collection, {})
    if key in bucket:
        noted = DISAGREEMENTS.get()
        # Two inputs listing one entry mostly agree on every field the later one states: a test in C first.
        if noted is not None and not entry.items() <= bucket[key].items():
            noted.extend(f"{collection}[{key}].{field}" for field in _disagreeing(bucket[key], entry))
        merge_entry(bucket[key], entry)
    else:
        bucket[key] = entry


def _merge_image(existing: dict, new: dict) -> None:
    for field, value in new.items():
        if field == "layers" and existing.get("layers"):
            existing["layers"] = merge_layers(existing["layers"], value)
        elif _empty(existing.get(field)) and not _empty(value):
            existing[field] = value


def _rank(extraction: Extraction) -> int:
    fmt = extraction.source.format
    return 2 if fmt in REPORT_FORMATS else 1 if fmt in SBOM_FORMATS else 0


def _identity(image: dict) -> dict:
    """Every fact that names an image, in a shape two inputs can be compared on."""
    digests = {image.get("digest"), *(ref.partition("@")[2] for ref in image.get("repo_digests", []))} - {None, ""}
    distro = image.get("distro") or {}
    return {
        "id": image.get("id") or "",
        "layers": tuple(layer["digest"] for layer in image.get("layers", []) if layer.get("digest")),
        "digests": frozenset(digests),
        "repository": "/".join(p for p in (image.get("registry"), image.get("repository")) if p),
        "tag": image.get("tag") or "",
        "distro": (distro.get("name") or "", distro.get("version") or ""),
        "reference": image.get("reference") or "",
    }


def _short(value) -> str:
    if isinstance(value, (tuple, frozenset)):
        return ", ".join(sorted(value) if isinstance(value, frozenset) else value)
    return value


def _same_version(first: str, second: str) -> bool:
    """`10` and `10.13` name the same release (Grype writes the major version, Trivy the point release)."""
    a, b = first.split("."), second.split(".")
    return a[: len(b)] == b or b[: len(a)] == a


def _conflict(first: dict, second: dict) -> tuple[str, str, str] | None:
    """(fact, first's value, second's value) of the fact on which two inputs name different images.

    The image id (the config's digest) and the layer diff ids identify an image
    whatever it is called: when either agrees, the inputs describe one image,
    even when one records a registry's index digest and the other the platform
    manifest's digest, or it was pulled under two names. Without them, the
    manifest digests, repository, tag and distribution are compared.
    """
    for field in ("id", "layers"):
        if first[field] and second[field]:
            if first[field] != second[field]:
                return field, _short(first[field]), _short(second[field])
            return None
    if first["digests"] and second["digests"] and not first["digests"] & second["digests"]:
        return "manifest digest", _short(first["digests"]), _short(second["digests"])
    shared = bool(first["digests"] & second["digests"])
    for field in ("repository", "tag"):
        if first[field] and second[field] and first[field] != second[field] and not shared:
            return field, first[field], second[field]
    (name_a, version_a), (name_b, version_b) = first["distro"], second["distro"]
    if name_a and name_b and (name_a != name_b or (version_a and version_b and not _same_version(version_a, version_b))):
        return "distribution", f"{name_a} {version_a}".strip(), f"{name_b} {version_b}".strip()
    return None


def _check_same_image(extractions: list[Extraction]) -> None:
    """Refuse inputs that describe different images: their packages and vulnerabilities would mix."""
    seen: list[tuple[dict, str]] = []
    for extraction in extractions:
        where = extraction.source.path or extraction.source.format
        identity = _identity(extraction.facts.get("image", {}))
        for earlier, earlier_where in seen:
            conflict = _conflict(earlier, identity)
            if conflict:
                field, theirs, ours = conflict
                raise InputError(
                    where,
                    f"describes image {field} {ours}{_named(identity)}, but {earlier_where} describes {theirs}{_named(earlier)}; "
                    "facts about different images cannot be merged into one document",
                )
        seen.append((identity, where))


def _named(identity: dict) -> str:
    return f" ({identity['reference']})" if identity["reference"] else ""


def _guess_dockerfile(image: dict) -> None:
    """Without a Dockerfile given, the one the history suggests (before concealing: a secret a
    build step shows is masked in the guess as in the history)."""
    if not image.get("dockerfile"):
        guessed = guessed_dockerfile(image.get("history") or [])
        if guessed is not None:
            image["dockerfile"] = guessed


def _ensure_affected_packages(document: dict) -> None:
    """Every vulnerability's package is an entry of `packages`, whatever the report format gave."""
    for vuln in document["vulnerabilities"].values():
        package = vuln["package"]
        if package["key"] not in document["packages"]:
            document["packages"][package["key"]] = {
                field: package[field] for field in ("key", "name", "version", "type", "os", "purl", "locations") if field in package
            }


def _license_named_packages(document: dict, extractions: list[Extraction]) -> None:
    """Licenses an input gives by package name only go to the packages of that name the others list."""
    for extraction in extractions:
        for name, licenses in extraction.licenses_by_name.items():
            for package in document["packages"].values():
                if package["name"] == name:
                    merge_entry(package, {"licenses": licenses})


def _finish_vulnerability(vuln: dict) -> None:
    fix = vuln["fix"]
    fix["available"] = fix["state"] == "fixed" and bool(fix["versions"])


def empty_document() -> dict:
    return {
        "schema_version": INPUT_SCHEMA_VERSION,
        "image": {},
        **{name: {} for name in COLLECTIONS},
        "changes": [],
        "drift": {},
        "baseline": None,
        "sources": [],
    }


def _plain(value: Any, pointer: str) -> Any:
    """A deep copy through JSON. Adapters refuse NaN and Infinity; should one slip through, it stops
    here rather than reach OPA, which reads such a document as invalid JSON."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except ValueError:
        raise DocumentInvalid(f"regate built {pointer} holding NaN or Infinity, which is not JSON (a bug in regate)") from None


# orjson writes NaN and Infinity as null where json.dumps(allow_nan=False) refuses them. In orjson's
# compact text every null follows one of `:[,`; facts holding such a token (a null, or a string like
# "a:null") take the exact check, the others are known to hold neither.
_NULL_TOKENS = (b":null", b"[null", b",null")


def _plain_facts(facts: Facts) -> dict:
    """The collections and image of one extraction as plain JSON, copied in one pass rather than
    entry by entry (`_plain`, which names the entry should one hold NaN or Infinity)."""
    names = (*COLLECTIONS, *(name for name in OPTIONAL_COLLECTIONS if name in facts))
    wanted = {name: facts.get(name, {}) for name in (*names, "image")}
    try:
        text = orjson.dumps(wanted)  # several times faster than json.dumps
    except orjson.JSONEncodeError:  # integers past 64 bits, keys that are no strings, half a surrogate pair
        return _plain_exactly(wanted, names)
    # Searching for "null" alone is fast (a rare byte pattern); the tokens start with common bytes.
    if b"null" in text and any(token in text for token in _NULL_TOKENS):
        return _plain_exactly(wanted, names)
    return orjson.loads(text)


def _plain_exactly(wanted: dict, names: tuple[str, ...]) -> dict:
    try:
        text = json.dumps(wanted, allow_nan=False)
    except ValueError:
        _plain(wanted["image"], "/image")
        for name in names:
            for key, entry in wanted[name].items():
                _plain(entry, f"/{name}/{key}")  # raises, naming the entry
        raise
    return loads_exactly(text)  # integers past 64 bits stay integers


def name_image(image: dict, name: str) -> None:
    """`--name REF`: the reference of an image whose inputs carry none (an untagged archive, a
    filesystem report, an SBOM without a name), so that mappings and image lists can match it."""
    parsed = parse_reference(name)
    if parsed is None:
        raise UserError(f"--name {name!r} is not an image reference (e.g. registry.example.com/team/app:1.2)")
    if image.get("reference") and image["reference"] != parsed["reference"]:
        raise UserError(f"--name {name}: the image is already named {image['reference']}")
    image.update(parsed)


def build_document(extractions: Iterable[Extraction], baseline: dict | None = None, image_name: str | None = None) -> dict:
    """One schema-valid input document from the facts of several inputs (given in input order)."""
    return build_concealed(extractions, baseline, image_name)[0]


def build_concealed(extractions: Iterable[Extraction], baseline: dict | None = None,
                    image_name: str | None = None) -> tuple[dict, frozenset[str]]:
    """The input document, every secret in it masked, and the secret values found (`conceal`):
    held in memory only, for the report layer to mask wherever they might still show."""
    with paused():  # a document holds no cycles to collect
        return _build_concealed(list(extractions), baseline, image_name)


def _build_concealed(extractions: list[Extraction], baseline: dict | None, image_name: str | None) -> tuple[dict, frozenset[str]]:
    _check_same_image(extractions)
    document = empty_document()
    plain = {id(extraction): _plain_facts(extraction.facts) for extraction in extractions}
    for extraction in extractions:
        _merge_collections(document, plain[id(extraction)], extraction)
        document["sources"].append(extraction.source.as_json())
        document["sources"].extend(source.as_json() for source in extraction.also)
    for extraction in sorted(extractions, key=_rank):
        _merge_image(document["image"], plain[id(extraction)]["image"])
    if image_name is not None:
        name_image(document["image"], image_name)
    _guess_dockerfile(document["image"])
    _ensure_affected_packages(document)
    _license_named_packages(document, extractions)
    for vuln in document["vulnerabilities"].values():
        _finish_vulnerability(vuln)
    found = conceal(document)
    for name in (*COLLECTIONS, *(n for n in OPTIONAL_COLLECTIONS if n in document)):
        document[name] = dict(sorted(document[name].items()))
    document["coverage"] = coverage(extractions, has_dockerfile=bool(document["image"].get("dockerfile")))
    if baseline is not None:
        found |= add_baseline(document, baseline)
    cover_first_seen(document)
    validate(document)
    return document, found


def _merge_collections(document: dict, facts: dict, extraction: Extraction) -> None:
    """Fold one input's collections into the document. A field an earlier input states with
    another value keeps the earlier value, but for a severity, fix or score (`_DECIDED`,
    docs/input.md), and this input is told which: two scanners rating one vulnerability
    differently is worth a look, never a silent choice."""
    noted: list[str] = []
    token = DISAGREEMENTS.set(noted)
    try:
        for name in (*COLLECTIONS, *(n for n in OPTIONAL_COLLECTIONS if n in extraction.facts)):
            bucket = document.setdefault(name, {})
            if not bucket:  # nothing to merge with
                bucket.update(facts[name])
                continue
            for key, entry in facts[name].items():
                add_entry(document, name, key, entry)
    finally:
        DISAGREEMENTS.reset(token)
    if noted:
        extraction.warnings.append(disagreement_warning(
            noted, "differ from what an earlier input states; the earlier value is kept, except for a "
                   "severity, a fix or a score, where the more severe, the known or the higher is"))


def add_baseline(document: dict, baseline: dict) -> frozenset[str]:
    """Compare a built document with `baseline` (`with_baseline`) and check the result; the
    secret values found in the baseline, which is compared masked as the document is, so that a
    masked value is no change."""
    found = conceal(baseline)
    with_baseline(document, baseline)
    cover_first_seen(document)
    validate(document)
    return found


def cover_first_seen(document: dict) -> None:
    """`first_seen` is absent from the vulnerabilities' coverage when no vulnerability has it: it
    comes from the baseline chain, which no scanner format promises, and a rule on the age of a
    vulnerability over a document without it must be data unavailable, not a pass."""
    entry = document.get("coverage", {}).get("vulnerabilities")
    if not entry or not entry["sources"]:
        return
    absent = set(entry.get("absent_fields", [])) - {"first_seen"}
    if not any("first_seen" in vuln for vuln in document["vulnerabilities"].values()):
        absent.add("first_seen")
    if absent:
        entry["absent_fields"] = sorted(absent)
    else:
        entry.pop("absent_fields", None)


def with_baseline(document: dict, baseline: dict) -> None:
    """`changes` and `drift` from `baseline` to `document`, the baseline's identity, and each
    vulnerability's `first_seen` carried along the chain."""
    from .drift import carry_first_seen, patch, records, views  # only with a baseline: drift imports the OPA runner

    if "coverage" in document:
        document["coverage"]["baseline"] = {"sources": ["baseline"]}
    carry_first_seen(baseline, document)
    before, after = views(baseline, document)
    document["changes"] = patch(before, after)
    document["drift"] = records(before, after)
    document["baseline"] = {
        field: baseline["image"][field] for field in ("reference", "digest", "id") if baseline["image"].get(field)
    }


def validate(document: dict) -> None:
    errors = schema_errors(document)
    if errors:
        listed = "\n".join(f"  {pointer}: {message[:300]}" for pointer, message in errors[:20])
        raise DocumentInvalid(f"regate built an input document that fails its own schema (a bug in regate):\n{listed}")
