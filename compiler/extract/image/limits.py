"""Bounds on what reading one image may cost, and where an error happened.

A hostile archive can declare huge sizes, expand a small gzip stream into
gigabytes or hold millions of members. Every byte read from an archive (outer
tar and decompressed layers alike) and every member is charged to one
`Budget`; running out is a clear `InputError`, never an exhausted machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import InputError


@dataclass(frozen=True)
class Limits:
    # Far above any real image (the largest public ML images are ~20 GB
    # uncompressed) yet finite.
    max_total_bytes: int = 64 << 30
    max_members: int = 2_000_000
    # PAX and GNU long-name headers are read into memory.
    max_header_bytes: int = 1 << 20
    max_path_length: int = 4096
    # JSON blobs (manifests, configs, indexes) are held in memory.
    max_json_bytes: int = 16 << 20
    max_json_total: int = 64 << 20
    max_link_hops: int = 40
    # File contents kept in memory (configured paths, and files named like them).
    max_content_total: int = 64 << 20
    # Paths seen through directory symlinks, listed besides the real ones;
    # nested links to big trees multiply them.
    max_aliases: int = 500_000
    # Memory for the files of one image, each charged FILE_COST: the member
    # count alone let a 10 MB archive of a million empty files take 4 GB.
    max_files_memory: int = 2 << 30


# What one file costs from its tar header to the written document, measured with
# 200,000 empty files (~2.7 kB each with a 10-character path); the path is held about four times.
FILE_COST = 2560
PATH_COPIES = 4


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Where:
    """The input file and, inside it, the archive member being read."""

    path: str
    pointer: str = ""

    def inside(self, name: str) -> "Where":
        return Where(self.path, f"{self.pointer}:{name}" if self.pointer else name)

    def error(self, message: str) -> InputError:
        return InputError(self.path, message, self.pointer or None)


@dataclass
class Budget:
    limits: Limits = DEFAULT_LIMITS
    bytes_read: int = 0
    members: int = 0
    json_bytes: int = 0
    content_bytes: int = 0
    files: int = 0
    files_memory: int = 0
    warnings: list[str] = field(default_factory=list)
    _warnings_dropped: int = 0

    def charge(self, n: int, where: Where) -> None:
        self.bytes_read += n
        if self.bytes_read > self.limits.max_total_bytes:
            raise where.error(
                f"more than {self.limits.max_total_bytes} bytes to read (tar bomb?); refusing to go on"
            )

    def check_declared(self, size: int, where: Where) -> None:
        left = self.limits.max_total_bytes - self.bytes_read
        if size > left:
            raise where.error(
                f"member declares {size} bytes, more than the {left} bytes left of the "
                f"{self.limits.max_total_bytes}-byte limit for one image (tar bomb?)"
            )

    def count_member(self, where: Where) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise where.error(f"more than {self.limits.max_members} archive members (tar bomb?)")

    def hold_json(self, size: int, where: Where) -> None:
        self.json_bytes += size
        if self.json_bytes > self.limits.max_json_total:
            raise where.error(f"more than {self.limits.max_json_total} bytes of JSON metadata")

    def hold_file(self, path: str, where: Where) -> None:
        self.files += 1
        self.files_memory += FILE_COST + PATH_COPIES * len(path)
        if self.files_memory > self.limits.max_files_memory:
            raise where.error(
                f"the files of this image need more than the {self.limits.max_files_memory:,}-byte memory limit "
                f"({self.files:,} files so far, {FILE_COST:,} bytes or more each); refusing to go on"
            )

    def hold_content(self, size: int, where: Where) -> None:
        self.content_bytes += size
        if self.content_bytes > self.limits.max_content_total:
            raise where.error(f"more than {self.limits.max_content_total} bytes of file contents to keep in memory")

    def warn(self, message: str) -> None:
        # One image can produce a warning per member; keep the report readable.
        if len(self.warnings) < 50:
            if message not in self.warnings:
                self.warnings.append(message)
        else:
            self._warnings_dropped += 1

    def all_warnings(self) -> list[str]:
        if self._warnings_dropped:
            return [*self.warnings, f"... and {self._warnings_dropped} more warnings"]
        return list(self.warnings)
