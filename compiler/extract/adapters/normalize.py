"""The normalisers every adapter shares: severities, dates, package types and keys.

One place for each rule, so that Grype, Trivy and CycloneDX facts about the
same package or vulnerability end up spelled the same way.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import unquote

from ..numbers import decimal

SEVERITIES = ("unknown", "negligible", "low", "medium", "high", "critical")

# Words scanners and vendors use for the same rung of the ladder.
_SEVERITY_SYNONYMS = {
    "none": "negligible",
    "info": "negligible",
    "informational": "negligible",
    "unimportant": "negligible",
    "moderate": "medium",
    "important": "high",
}


def severity(value: object) -> str:
    """Lower-case severity on regate's ladder; null, empty and unrecognised words are `unknown`."""
    if not isinstance(value, str):
        return "unknown"
    word = value.strip().lower()
    word = _SEVERITY_SYNONYMS.get(word, word)
    return word if word in SEVERITIES else "unknown"


_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d{2}:?\d{2})?)?$"
)


def rfc3339(value: object) -> str | None:
    """An RFC 3339 timestamp in UTC, or None when the value is not a usable date.

    Date-only values become midnight UTC, offsets are folded into UTC and
    fractional seconds keep their digits (Go writes nanoseconds). Go's zero
    time (`0001-01-01T00:00:00Z`, written for "unknown") reads as no date.
    Integers are Unix seconds (Anchore's history).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if value <= 0:
            return None
        try:
            moment = datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(value, str):
        return None
    return _rfc3339_text(value)


@lru_cache(maxsize=1024)  # a report repeats a few dates (its EPSS date, publication days) thousands of times
def _rfc3339_text(value: str) -> str | None:
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if moment.year <= 1:
        return None
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        try:
            moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        except OverflowError:  # 9999-12-31T23:59-01:00 is past the last date Python has
            return None
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = (fraction or "").rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


# os-release ids, from the names Grype (redhat, amazonlinux, ...) and Trivy
# (OS families) use for the same distributions, and from os-release NAMEs
# (`Debian GNU/Linux`), which some tools write where the id belongs.
_DISTRO_IDS = {
    "redhat": "rhel",
    "red hat enterprise linux": "rhel",
    "red hat enterprise linux server": "rhel",
    "amazon": "amzn",
    "amazonlinux": "amzn",
    "amazon linux": "amzn",
    "amazon linux ami": "amzn",
    "oracle": "ol",
    "oraclelinux": "ol",
    "oracle linux server": "ol",
    "archlinux": "arch",
    "arch linux": "arch",
    "cbl-mariner": "mariner",
    "common base linux mariner": "mariner",
    "suse linux enterprise server": "sles",
    "opensuse.leap": "opensuse-leap",
    "opensuseleap": "opensuse-leap",
    "opensuse leap": "opensuse-leap",
    "opensuse.tumbleweed": "opensuse-tumbleweed",
    "opensuse tumbleweed": "opensuse-tumbleweed",
    "rockylinux": "rocky",
    "rocky linux": "rocky",
    "debian gnu/linux": "debian",
    "alpine linux": "alpine",
    "centos linux": "centos",
    "centos stream": "centos",
    "fedora linux": "fedora",
    "photon os": "photon",
    "photon os/linux": "photon",
    "wolfi": "wolfi",
    "almalinux": "almalinux",
}
# What tools write when they found no distribution.
_NO_DISTRO = {"", "none", "unknown", "n/a"}
_VERSION_ID = re.compile(r"^(\d[\w.+~-]*)")
_FOR_PEOPLE = re.compile(r"[\sA-Z/]")


def distro_id(name: str) -> str:
    word = name.strip().lower()
    return "" if word in _NO_DISTRO else _DISTRO_IDS.get(word, word)


def distro_version(version: str) -> str:
    """os-release VERSION_ID from a VERSION as tools write it (`10 (buster)` → `10`, `22.04.3 LTS` → `22.04.3`)."""
    version = version.strip()
    match = _VERSION_ID.match(version)
    return match[1] if match else ("" if version.lower() in _NO_DISTRO else version)


def distro_entry(name: str, version: str = "", like=(), pretty_name: str = "") -> dict:
    """An `image.distro`: os-release ID and VERSION_ID, ID_LIKE, and the pretty name.

    A name or version written for people (`Debian GNU/Linux`, `10 (buster)`) is
    normalised so that `distro.name == "debian"` holds whichever tool wrote it;
    the words as written are kept in `pretty_name`.
    """
    out: dict = {"name": distro_id(name)}
    if not out["name"]:
        return {}
    if distro_version(version):
        out["version"] = distro_version(version)
    like = unique(distro_id(item) for item in like)
    if like:
        out["like"] = like
    if not pretty_name and (_FOR_PEOPLE.search(name.strip()) or _FOR_PEOPLE.search(version.strip())):
        pretty_name = f"{name.strip()} {version.strip()}"
    if pretty_name.strip():
        out["pretty_name"] = pretty_name.strip()
    return out


_PURL_DISTRO = re.compile(r"^(?P<name>[a-z][\w.-]*?)-(?P<version>\d[\w.]*)$")


def distro_from_purls(purls) -> dict:
    """The distribution named by the `distro` qualifier of the most OS package purls (`distro=alpine-3.16.2`).

    SBOMs without an operating-system entry (Syft's SPDX before 0.6x) still
    name it there, and without it two SBOMs of different images look alike.
    """
    counts: dict[str, int] = {}
    for purl in purls:
        parsed = parse_purl(purl) or {}
        if type_from_purl_type(parsed.get("type", "")) in OS_PACKAGE_TYPES and _PURL_DISTRO.match(parsed.get("distro", "")):
            counts[parsed["distro"]] = counts.get(parsed["distro"], 0) + 1
    if not counts:
        return {}
    match = _PURL_DISTRO.match(max(sorted(counts), key=counts.__getitem__))
    return {"name": distro_id(match["name"]), "version": match["version"]}


OS_PACKAGE_TYPES = frozenset({"apk", "deb", "rpm", "alpm", "portage"})

# purl types → package types as Syft names them.
_PURL_TYPES = {
    "alpine": "apk",  # Syft before 0.60 wrote pkg:alpine/...
    "apk": "apk",
    "deb": "deb",
    "rpm": "rpm",
    "alpm": "alpm",
    "ebuild": "portage",
    "pypi": "python",
    "npm": "npm",
    "maven": "java-archive",
    "golang": "go-module",
    "gem": "gem",
    "cargo": "rust-crate",
    "composer": "php-composer",
    "nuget": "dotnet",
    "cocoapods": "pod",
    "conan": "conan",
    "hex": "hex",
    "pub": "dart-pub",
    "swift": "swift",
    "hackage": "hackage",
    "cran": "R-package",
    "github": "github-action",
    "generic": "binary",
    "bitnami": "bitnami",
    "conda": "conda",
}


def type_from_purl_type(purl_type: str) -> str:
    return _PURL_TYPES.get(purl_type.lower(), purl_type.lower())


_PURL = re.compile(r"^pkg:(?P<type>[A-Za-z.+-][A-Za-z0-9.+-]*)/(?P<rest>[^?#]+)(?:\?(?P<qualifiers>[^#]*))?")


def parse_purl(purl: str) -> dict[str, str] | None:
    """type, namespace, name, version and qualifiers of a package URL, or None when it is not one."""
    match = _PURL.match(purl or "")
    if not match:
        return None
    rest = match["rest"].strip("/")
    version = ""
    if "@" in rest.rsplit("/", 1)[-1]:
        rest, version = rest.rsplit("@", 1)
    namespace, _, name = rest.rpartition("/")
    decode = unquote if "%" in purl else str  # most purls escape nothing; unquote is Python code
    out = {
        "type": match["type"].lower(),
        "namespace": decode(namespace),
        "name": decode(name),
        "version": decode(version),
    }
    for pair in (match["qualifiers"] or "").split("&"):
        key, sep, value = pair.partition("=")
        if sep and key and key not in out:
            out[key.lower()] = decode(value)
    return out


def with_epoch(package_type: str, version: str, epoch: object) -> str:
    """RPM versions carry their epoch in the version (`32:9.11.36-5.el8`), as newer Syft and Trivy write them.

    Older Syft and some SBOM formats keep the epoch aside (metadata or the
    purl's `epoch` qualifier); folding it in gives the same package the same
    key whichever tool described it.
    """
    if package_type != "rpm" or not version or ":" in version:
        return version
    if isinstance(epoch, str):
        epoch = decimal(epoch)
    if isinstance(epoch, int) and not isinstance(epoch, bool) and epoch > 0:
        return f"{epoch}:{version}"
    return version


def package_key(package_type: str, name: str, version: str) -> str:
    return f"{package_type}:{name}@{version}"


def vulnerability_key(vuln_id: str, package: str) -> str:
    return f"{vuln_id}+{package}"


_CPE_FIELDS = ("Part", "Vendor", "Product", "Version", "Update", "Edition", "Language", "SWEdition", "TargetSW", "TargetHW", "Other")


def cpe_from_fields(fields: dict) -> str:
    """Grype 0.7 wrote CPEs as objects of their eleven attributes; regate writes CPE 2.3 strings."""
    parts = []
    for name in _CPE_FIELDS:
        value = fields.get(name)
        parts.append(value if isinstance(value, str) and value else "*")
    return "cpe:2.3:" + ":".join(parts)


def unique(values) -> list:
    """The values in first-seen order without repeats or empties."""
    kept = dict.fromkeys(values)  # keeps the first of equal values, as a loop here would, in C
    if None in kept:  # (tests before deleting: most lists hold neither, and pop is a method call)
        del kept[None]
    if "" in kept:
        del kept[""]
    return [*kept]


def source_package_name(source_rpm: str) -> str:
    """The package name of a source RPM file name (`bind-9.11.36-5.el8_7.2.src.rpm` → `bind`)."""
    stem = source_rpm.removesuffix(".rpm").removesuffix(".src")
    parts = stem.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else stem
