"""What data an input document has, and from which source (its `coverage` section).

An empty collection means two different things: the tool looked and found
nothing, or no tool looked. Policies must tell them apart (a package denylist
over an image nobody listed the packages of is not a pass), so each document
records, per kind of data, the sources that provided it and the fields of it
that none of those sources fill (docs/input.md, "coverage").
"""

from __future__ import annotations

from typing import Iterable

from ..resources import input_schema
from .base import Extraction, Source

# The kinds of data a rule can read (`regate check --require` takes these names).
DATA_KINDS: tuple[str, ...] = tuple(input_schema()["properties"]["coverage"]["required"])
# Kinds only some documents state (older ones predate them): listed only when a source provided them.
OPTIONAL_KINDS: tuple[str, ...] = tuple(kind for kind in input_schema()["properties"]["coverage"]["properties"]
                                        if kind not in DATA_KINDS)

_IMAGE_FORMATS = ("docker-archive", "oci-archive", "oci-layout", "docker-daemon")
_IMAGE_READ = frozenset({"files", "file_contents", "secrets", "users", "image_config"})

# What a format reports on even when it found nothing there. Beyond these, a
# source provides a collection it lists entries of.
_REPORTS_ON: dict[str, frozenset[str]] = {
    "syft-json": frozenset({"packages"}),
    "cyclonedx-json": frozenset({"packages"}),
    "spdx-json": frozenset({"packages"}),
    "grype-json": frozenset({"vulnerabilities"}),
    "anchore-vulnerabilities": frozenset({"vulnerabilities"}),
    "trivy-json": frozenset({"vulnerabilities"}),
    "anchore-export": frozenset({"packages", "files", "image_config"}),
    "docker-inspect": frozenset({"image_config"}),
    "image-config": frozenset({"image_config"}),
    "clamav-text": frozenset({"malware"}),
    **{fmt: _IMAGE_READ for fmt in _IMAGE_FORMATS},
}

# Entries a format lists without covering their collection: Grype names only
# the packages it matched a vulnerability to, SBOMs only the files packages own.
_LISTS_WITHOUT_COVERING: dict[str, frozenset[str]] = {
    "grype-json": frozenset({"packages"}),
    "anchore-vulnerabilities": frozenset({"packages"}),
    "dockerfile": frozenset({"image_config"}),  # how the image was built, not its config
    **{fmt: frozenset({"files"}) for fmt in ("syft-json", "cyclonedx-json", "spdx-json")},
}

# Fields the schema marks `x-regate-partial` that a format never fills:
# Grype has no vulnerability dates, Trivy and CycloneDX no EPSS, KEV or risk.
UNFILLED: dict[str, dict[str, tuple[str, ...]]] = {
    "grype-json": {"vulnerabilities": ("modified", "published")},
    "trivy-json": {"vulnerabilities": ("epss", "kev", "risk")},
    "cyclonedx-json": {"vulnerabilities": ("epss", "kev", "risk")},
}


def _label(source: Source) -> str:
    return f"{source.format}:{source.path}" if source.path else source.format


def _provided(extraction: Extraction) -> dict[Source, set[str]]:
    """Each source of one extraction → the kinds of data it provided."""
    source = extraction.source
    kinds = set(_REPORTS_ON.get(source.format, ()))
    kinds |= {name for name, entries in extraction.facts.items() if name in DATA_KINDS and entries}
    kinds |= extraction.covers
    # Only a config that was read states everything (no `User` is root: effective_user is always set);
    # layers from a manifest or env and labels from `skopeo inspect` leave the user and command unstated.
    if "effective_user" in (extraction.facts.get("image") or {}):
        kinds.add("image_config")
    kinds -= _LISTS_WITHOUT_COVERING.get(source.format, frozenset())
    kinds -= extraction.uncovered
    found = {source: kinds}
    for extra in extraction.also:  # Syft listing an image's packages: credit it, not the image reader
        found[extra] = set(_REPORTS_ON.get(extra.format, ()))
        kinds -= found[extra]
    return found


def coverage(extractions: Iterable[Extraction], has_dockerfile: bool = True) -> dict:
    """The `coverage` section of a document built from `extractions`. Without a Dockerfile (none
    given, and no history to guess one from) a rule reading it is unavailable, never a pass."""
    sources: dict[str, list[Source]] = {kind: [] for kind in (*DATA_KINDS, *OPTIONAL_KINDS)}
    never_filled: dict[tuple[Source, str], set[str]] = {}
    for extraction in extractions:
        for source, kinds in _provided(extraction).items():
            for kind in kinds:
                sources[kind].append(source)
                never_filled[source, kind] = (set(UNFILLED.get(source.format, {}).get(kind, ()))
                                              | set(extraction.unfilled.get(kind, ())))
    out = {}
    for kind in (*DATA_KINDS, *(kind for kind in OPTIONAL_KINDS if sources[kind])):
        entry: dict = {"sources": sorted({_label(s) for s in sources[kind]})}
        unfilled = [never_filled[s, kind] for s in sources[kind]]
        if unfilled and set.intersection(*unfilled):
            entry["absent_fields"] = sorted(set.intersection(*unfilled))
        out[kind] = entry
    config = out["image_config"]
    if not has_dockerfile and config["sources"]:
        config["absent_fields"] = sorted({*config.get("absent_fields", ()), "dockerfile"})
    return out
