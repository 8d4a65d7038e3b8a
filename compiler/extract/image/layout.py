"""OCI image layout directories: index.json, then blobs by digest, layers in order."""

from __future__ import annotations

import os
from pathlib import Path

from ..base import ExtractOptions, Facts
from .assemble import build_facts, read_plan
from .limits import Budget, Where
from .manifest import oci_plan, parse_json
from .progress import Progress
from .layers import read_layer


def is_layout(path: Path) -> bool:
    return path.is_dir() and (path / "oci-layout").is_file() and (path / "index.json").is_file()


def read_layout(root: Path, options: ExtractOptions, budget: Budget, progress: Progress) -> Facts:
    where = Where(str(root))

    def json_blob(name: str, at: Where) -> bytes:
        path = _inside(root, name, at)
        size = path.stat().st_size
        if size > budget.limits.max_json_bytes:
            raise at.inside(name).error(f"{size} bytes, over the {budget.limits.max_json_bytes}-byte limit for JSON")
        budget.hold_json(size, at.inside(name))
        return path.read_bytes()

    index = parse_json(json_blob("index.json", where), where.inside("index.json"))
    plan = oci_plan(index, lambda name, at: parse_json(json_blob(name, at), at.inside(name)), where, budget)
    config = json_blob(plan.config, where)
    plan_read = read_plan(options)
    layers = []
    for number, name in enumerate(plan.layers, 1):
        with open(_inside(root, name, where), "rb") as handle:
            source = progress.track(handle, f"layer {number}/{len(plan.layers)}", os.fstat(handle.fileno()).st_size)
            layers.append(read_layer(source, where.inside(name), plan_read, budget))
    progress.finish()
    return build_facts(config, plan, layers, options, budget, where)


def _inside(root: Path, name: str, where: Where) -> Path:
    """The regular file `name` of the layout; a symlink out of it is refused
    so a hostile layout cannot make regate read the host's files."""
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise where.inside(name).error("blob resolves outside the layout directory")
    if not path.is_file():
        raise where.inside(name).error("blob is missing from the layout")
    return path
