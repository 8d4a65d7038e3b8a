"""Anchore Engine image exports (`anchore-cli image get --export`, the engine's test data).

An export is a list with one image: `image_report` carries `docker image
inspect` output and the history; `analysis_report` the analysers' results as
nested maps whose leaves are often JSON strings (per-file records).
What an export holds beyond that (other analysers' output, the guessed Dockerfile) is named
in a warning.
"""

from __future__ import annotations

import re
import stat

from ...errors import InputError
from ..base import Extraction, Facts, Source
from ..dockerfile import parse_dockerfile
from ..document import add_entry
from ..jsonload import parse_json
from . import entries
from .docker import inspect_facts
from .imageconfig import merge_layers
from .normalize import distro_entry, rfc3339
from .view import View

# Anchore's `pkgs.all` lists the distribution's packages; their type follows the distribution.
_DISTRO_PACKAGE_TYPES = {
    **dict.fromkeys(("debian", "ubuntu"), "deb"),
    **dict.fromkeys(("alpine",), "apk"),
    **dict.fromkeys(("rhel", "centos", "fedora", "ol", "amzn", "rocky", "almalinux", "sles"), "rpm"),
    "busybox": "binary",
}
# `pkgs.allinfo` records name the package manager: its package type.
_ALLINFO_TYPES = {"APKG": "apk", "dpkg": "deb", "rpm": "rpm"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FILE_TYPES = {
    stat.S_IFREG: "file",
    stat.S_IFDIR: "dir",
    stat.S_IFLNK: "symlink",
    stat.S_IFCHR: "char",
    stat.S_IFBLK: "block",
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
}


def _image_data(doc) -> dict | None:
    item = doc[0] if isinstance(doc, list) and len(doc) == 1 else doc
    if not isinstance(item, dict):
        return None
    image = item.get("image")
    data = image.get("imagedata") if isinstance(image, dict) else None
    return data if isinstance(data, dict) and "analysis_report" in data else None


def _base(report: View, analyser: str, name: str) -> View:
    """`analysis_report.<analyser>.<name>.base`, Anchore's layout of analyser output."""
    return report.obj(analyser).obj(name).obj("base")


def _record(value: View) -> View:
    """A per-file record, stored as a JSON string inside the JSON."""
    if isinstance(value.value, dict):
        return value
    if not isinstance(value.value, str):
        raise value.error("expected a JSON object or a JSON string")
    try:
        return View(parse_json(value.value, value.path), value.path, value.pointer).expect_object()
    except InputError as exc:
        raise value.error(f"holds invalid JSON ({exc.message})") from None


def _files(report: View, facts: Facts) -> None:
    sha256 = {path: value.value for path, value in _base(report, "file_checksums", "files.sha256sums").entries()}
    for path, value in _base(report, "file_list", "files.allinfo").entries():
        record = _record(value)
        mode = record.uint("mode", 32)  # st_mode; stat.S_IMODE overflows on larger or negative values
        entry: dict = {"path": path, "type": "unknown"}
        if mode is not None:
            bits = stat.S_IMODE(mode)
            entry.update(type=_FILE_TYPES.get(stat.S_IFMT(mode), "unknown"), mode=bits,
                         setuid=bool(bits & stat.S_ISUID), setgid=bool(bits & stat.S_ISGID))
        if record.size("size") is not None:
            entry["size"] = record.size("size")
        if record.str("linkdst"):
            entry["link_target"] = record.str("linkdst")
        # Anchore writes DIRECTORY_OR_OTHER where it hashed nothing (directories, links).
        if isinstance(sha256.get(path), str) and _SHA256.match(sha256[path]):
            entry["sha256"] = sha256[path]
        add_entry(facts, "files", path, entry)


def _history(report: View) -> tuple[list[dict], list[str], list[int]]:
    """History oldest first (Anchore lists newest first), with the created_by and size of each layer."""
    history, created_by, sizes = [], [], []
    for index, item in enumerate(reversed(report.arr("docker_history"))):
        item.expect_object()
        size = item.size("Size") or 0
        entry: dict = {"index": index, "empty_layer": size == 0}
        created = rfc3339(item.raw("Created"))  # Unix seconds in Anchore's exports
        if created:
            entry["created"] = created
        if item.str("CreatedBy"):
            entry["created_by"] = item.str("CreatedBy")
        if item.str("Comment"):
            entry["comment"] = item.str("Comment")
        history.append(entry)
        if size:
            created_by.append(item.str("CreatedBy"))
            sizes.append(size)
    return history, created_by, sizes


# Analyser outputs read above; any other non-empty one is named in a warning.
_READ = {("file_list", "files.allinfo"), ("file_list", "files.all"), ("file_checksums", "files.sha256sums"),
         ("package_list", "pkgs.all"), ("package_list", "pkgs.allinfo"), ("analyzer_meta", "analyzer_meta")}


def _not_read(report: View, image_report: View, image: dict) -> list[str]:
    """What the export states that the document does not hold, e.g. `package_list.pkgs.java (12)`."""
    left = []
    for analyser, outputs in report.entries():
        for name, output in outputs.entries() if isinstance(outputs.value, dict) else ():
            base = output.value.get("base") if isinstance(output.value, dict) else None
            if (analyser, name) not in _READ and base:
                left.append(f"{analyser}.{name} ({len(base) if isinstance(base, (dict, list)) else 1})")
    if image_report.str("dockerfile_contents") and "dockerfile" not in image:
        left.append(f"the Dockerfile (dockerfile_mode {image_report.str('dockerfile_mode') or 'unknown'})")
    return left


def _dockerfile(image_report: View, warnings: list[str]) -> dict | None:
    """The Dockerfile Anchore recorded: given at analysis (`Actual`) or guessed from the history."""
    text, mode = image_report.str("dockerfile_contents"), image_report.str("dockerfile_mode").lower()
    if not text or mode not in ("actual", "guessed"):
        return None
    try:
        instructions = parse_dockerfile(text, image_report.pointer + "/dockerfile_contents")
    except InputError as exc:
        warnings.append(f"the recorded Dockerfile is not read: {exc.message}")
        return None
    if mode == "guessed":  # lines of a text Anchore wrote, not of a Dockerfile anyone has
        instructions = [{k: v for k, v in i.items() if k != "line"} for i in instructions]
    return {"mode": mode, "instructions": instructions}


class AnchoreExport:
    format = "anchore-export"
    description = "an Anchore Engine image export (image_report + analysis_report)"

    def detect(self, doc) -> bool:
        return _image_data(doc) is not None

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        if isinstance(doc, list):
            if len(doc) != 1:
                raise root.error(f"exports {len(doc)} images; regate describes one image")
            root = root.at(0, doc[0])
        data = root.obj("image").obj("imagedata")
        image_report, report = data.obj("image_report"), data.obj("analysis_report")
        facts: Facts = {}

        image = inspect_facts(image_report.obj("docker_data"))
        history, created_by, sizes = _history(image_report)
        if history:
            image["history"] = history
            from_history = [{"index": i, "created_by": c, "size": s} for i, (c, s) in enumerate(zip(created_by, sizes))]
            image["layers"] = merge_layers(image.get("layers", []), from_history)
        meta = _base(report, "analyzer_meta", "analyzer_meta")
        found = distro_entry(meta.str("DISTRO"), meta.str("DISTROVERS"), sorted(set(meta.str("LIKEDISTRO").split(","))))
        distro = found.get("name", "")
        if found:
            image["distro"] = found
        warnings: list[str] = []
        dockerfile = _dockerfile(image_report, warnings)
        if dockerfile:
            image["dockerfile"] = dockerfile
        facts["image"] = image

        package_type = _DISTRO_PACKAGE_TYPES.get(distro, "unknown")
        details = dict(_base(report, "package_list", "pkgs.allinfo").entries())
        for name, version in _base(report, "package_list", "pkgs.all").entries():
            if not isinstance(version.value, str):
                raise version.error("expected the package version as a string")
            info = _record(details[name]) if name in details else View({}, path)
            pkg = entries.package(name=name, version=version.value,
                                  type=_ALLINFO_TYPES.get(info.str("type")) or package_type,
                                  licenses=[info.str("license")], source_name=info.str("sourcepkg"))
            add_entry(facts, "packages", pkg["key"], pkg)
        _files(report, facts)
        left = _not_read(report, image_report, image)
        if left:
            warnings.append(f"the export's {', '.join(left)} have no place in the input document and are left out")
        return Extraction(facts, Source("anchore-engine", self.format, "", path), warnings)
