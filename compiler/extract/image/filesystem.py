"""Layer summaries stacked into the image's final filesystem.

Follows the OCI image spec's changeset rules: in each layer, opaque markers
and whiteouts first remove what lower layers put there, then the layer's own
entries are written; a non-directory replacing a directory takes its subtree
with it.
"""

from __future__ import annotations

from .layers import FileEntry, Layer, normalize


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
            self._drop(path, keep_self=False)
        for path, entry in layer.entries.items():
            old = self.entries.get(path)
            if old is not None and old[0].type == "dir" and entry.type != "dir":
                self._drop(path, keep_self=True)
            self.entries[path] = (entry, layer.diff_id)
            self._link(path)

    def resolve(self, path: str, max_hops: int) -> FileEntry | None:
        """The entry `path` leads to, following symlinks inside the root."""
        for _ in range(max_hops):
            found = self.entries.get(path)
            if found is None:
                return None
            entry = found[0]
            if entry.type == "hardlink":
                path = entry.link_target
            elif entry.type == "symlink":
                base = path.rsplit("/", 1)[0] if not entry.link_target.startswith("/") else ""
                path, _ = normalize(f"{base}/{entry.link_target}")
            else:
                return entry
        return None

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
