"""Paths inside an image root, resolved as the kernel resolves them in a chroot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .layers import FileEntry


def normalize(name: str) -> tuple[str, bool]:
    """The absolute path `name` denotes inside the image root, and whether it
    tried to leave the root (`..` past `/`): like a chroot, it cannot."""
    parts: list[str] = []
    escaped = False
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            else:
                escaped = True
            continue
        parts.append(part)
    return "/" + "/".join(parts), escaped


def resolve_path(path: str, lookup: Callable[[str], FileEntry | None], max_hops: int,
                 follow_last: bool = True) -> str | None:
    """The path `path` leads to after following symlinks in every component (in the last only
    when `follow_last`), or None after more than `max_hops` links (a loop, as ELOOP)."""
    pending = [part for part in reversed(path.split("/")) if part]
    current = ""  # the resolved prefix; "" is the root
    hops = 0
    while pending:
        part = pending.pop()
        if part == ".":
            continue
        if part == "..":
            current = current.rsplit("/", 1)[0]
            continue
        candidate = f"{current}/{part}"
        entry = lookup(candidate)
        if entry is not None and entry.type == "symlink" and (pending or follow_last):
            hops += 1
            if hops > max_hops:
                return None
            if entry.link_target.startswith("/"):
                current = ""
            pending.extend(part for part in reversed(entry.link_target.split("/")) if part)
            continue
        current = candidate
    return current or "/"
