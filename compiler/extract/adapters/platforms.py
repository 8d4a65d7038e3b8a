"""Platforms (`os/arch[/variant]`): choosing one image of a multi-platform input.

A manifest list, an OCI index and an SBOM describing an image for several
architectures each hold several images. regate describes one image, so such
an input is refused with its platforms listed unless `--platform` picks one;
an input about one platform is refused when it is not the platform asked for.
"""

from __future__ import annotations

from typing import TypeVar

from ...errors import InputError, UserError

T = TypeVar("T")


def platform_name(os: str, architecture: str, variant: str = "") -> str:
    return "/".join(part for part in (os, architecture, variant) if part)


def parse_platform(text: str) -> tuple[str, str, str]:
    """(os, architecture, variant) of `linux/arm64` or `linux/arm/v7`, refused with the expected shape."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UserError(f"--platform {text!r}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7")
    os, architecture, variant = (*parts, "")[:3]
    return os, architecture, variant


def matches(requested: str, os: str, architecture: str, variant: str = "") -> bool:
    """Whether a platform is the one asked for; a request without variant accepts any variant."""
    want_os, want_arch, want_variant = parse_platform(requested)
    return (want_os, want_arch) == (os, architecture) and (not want_variant or want_variant == variant)


def select(path: str, what: str, candidates: dict[str, T], requested: str) -> T:
    """The candidate (keyed by platform name) that `requested` names; none or several is an error."""
    listed = ", ".join(sorted(candidates))
    if not requested:
        raise InputError(path, f"{what} for each of {len(candidates)} platforms ({listed}); regate describes one image: "
                               "choose one with --platform os/arch[/variant]")
    chosen = [value for name, value in sorted(candidates.items()) if matches(requested, *(name.split("/") + [""])[:3])]
    if len(chosen) != 1:
        found = "none" if not chosen else f"{len(chosen)} of them; add the variant"
        raise InputError(path, f"{what} for each of the platforms {listed}; --platform {requested} matches {found}")
    return chosen[0]


def check_platform(path: str, image: dict, requested: str) -> None:
    """Refuse an input that states a platform other than the one asked for: its facts are about another image."""
    if not requested or not image.get("architecture"):
        return
    stated = platform_name(image.get("os", ""), image["architecture"], image.get("variant", ""))
    os, architecture, variant = parse_platform(requested)
    if architecture != image["architecture"] or (image.get("os") and os != image["os"]) or (
            variant and image.get("variant") and variant != image["variant"]):
        raise InputError(path, f"describes platform {stated}, not the --platform {requested} asked for")


def platform_option(text: str) -> str:
    """`--platform` as given, checked for its shape before any input is read."""
    if text:
        parse_platform(text)
    return text.strip()
