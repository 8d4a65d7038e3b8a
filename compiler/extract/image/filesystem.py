"""Layer summaries stacked into the image's final filesystem.

Follows the OCI image spec's changeset rules: in each layer, opaque markers
and whiteouts first remove what lower layers put there, then the layer's own
entries are written; a non-directory replacing a directory takes its subtree
with it, and a path written (or whited out) under a lower layer's
non-directory replaces it with a directory (overlayfs shows the upper one).

Paths are resolved as the kernel resolves them inside the image root: a
symlink in any component is followed, `..` stops at the root. A process in the
container sees `/etc/passwd` through an `/etc -> /real` symlink, so rules must
too: `aliases` lists every path seen through a directory symlink.
"""

from __future__ import annotations

from .layers import FileEntry, Layer
from .limits import Budget, Where
from .paths import resolve_path


def _within(path: str, directory: str) -> bool:
    return directory == "/" or path == directory or path.startswith(directory + "/")


class Filesystem:
    def __init__(self) -> None:
        self.entries: dict[str, tuple[FileEntry, str]] = {}
        # Every directory path (present or implied by a descendant) → child
        # paths, so whiteouts remove a subtree without scanning all paths.
        self._children: dict[str, set[str]] = {}

    def apply(self, layer: Layer) -> None:
        for directory in layer.opaque_dirs:
            self._drop(directory, keep_self=True)
        for path in layer.whiteouts:
            self._replace_ancestors(path)  # the whiteout's directory is in the upper layer
            self._drop(path, keep_self=False)
        for path, entry in layer.entries.items():
            if entry.type != "dir" and path in self._children:
                self._drop(path, keep_self=True)
            self._replace_ancestors(path)
            self.entries[path] = (entry, layer.diff_id)
            self._link(path)

    def lookup(self, path: str) -> FileEntry | None:
        found = self.entries.get(path)
        return found[0] if found is not None else None

    def resolve(self, path: str, max_hops: int) -> FileEntry | None:
        """The entry `path` leads to, following symlinks in every component and hard links."""
        for _ in range(max_hops):
            real = resolve_path(path, self.lookup, max_hops)
            entry = self.lookup(real) if real is not None else None
            if entry is None or entry.type != "hardlink":
                return entry
            path = entry.link_target
        return None

    def is_dir(self, path: str) -> bool:
        entry = self.lookup(path)
        return path == "/" or (entry.type == "dir" if entry is not None else path in self._children)

    def aliases(self, budget: Budget, where: Where) -> dict[str, str]:
        """Every path that goes through a symlink to a directory → the real path it names.

        Walked like `find -L`: a symlink to a directory that contains the link
        (or contains a directory the walk jumped from) is a loop and is not
        entered, so `/usr/bin/X11 -> .` adds nothing.
        """
        max_hops, max_aliases = budget.limits.max_link_hops, budget.limits.max_aliases
        out: dict[str, str] = {}
        for link in sorted(p for p, (entry, _) in self.entries.items() if entry.type == "symlink"):
            parent = link.rsplit("/", 1)[0] or "/"
            stack = [(link, self._dir_target(link, (parent,), max_hops), (parent,))]
            while stack:
                shown, real, sources = stack.pop()
                if real is None:
                    continue
                for child in sorted(self._children.get(real, ())):
                    path = f"{shown.rstrip('/')}/{child.rsplit('/', 1)[1]}"
                    entry = self.lookup(child)
                    if entry is not None:  # implied directories are not listed, seen directly or not
                        out[path] = child
                        budget.hold_file(path, where)
                        if len(out) > max_aliases:
                            raise where.error(
                                f"more than {max_aliases} paths seen through directory symlinks (at {link}); "
                                "refusing to list them"
                            )
                    if self.is_dir(child):
                        stack.append((path, child, sources))
                    elif entry is not None and entry.type == "symlink":
                        jumped = (*sources, real)
                        stack.append((path, self._dir_target(child, jumped, max_hops), jumped))
        return out

    def _dir_target(self, link: str, sources: tuple[str, ...], max_hops: int) -> str | None:
        """The directory the symlink `link` leads to, unless it is none or would loop."""
        target = resolve_path(link, self.lookup, max_hops)
        if target is None or not self.is_dir(target) or any(_within(s, target) for s in sources):
            return None
        return target

    def _replace_ancestors(self, path: str) -> None:
        parent = path.rsplit("/", 1)[0]
        while parent:
            found = self.entries.get(parent)
            if found is not None and found[0].type != "dir":
                del self.entries[parent]
            parent = parent.rsplit("/", 1)[0]

    def _link(self, path: str) -> None:
        while path != "/":
            parent = path.rsplit("/", 1)[0] or "/"
            siblings = self._children.setdefault(parent, set())
            if path in siblings:
                return
            siblings.add(path)
            path = parent

    def _drop(self, path: str, keep_self: bool) -> None:
        stack = list(self._children.pop(path, ()))
        while stack:
            child = stack.pop()
            self.entries.pop(child, None)
            stack.extend(self._children.pop(child, ()))
        if not keep_self:
            self.entries.pop(path, None)
            self._children.get(path.rsplit("/", 1)[0] or "/", set()).discard(path)
