"""Which layer, and so which part of the build, brought each planned package change in.

The base image's layers are the first ones: with an actual Dockerfile, all but
the layers its final stage's RUN/COPY/ADD instructions make; without one, the
first layer (the distribution's root filesystem). When most findings the plan
clears by changing packages sit in base layers, the plan leads with "rebuild on
a newer base image" — the package changes stay as its concrete, proven form.
"""

from __future__ import annotations

from .changes import Change

_LAYER_MAKING = ("RUN", "COPY", "ADD")


def group(document: dict, changes: list[Change]) -> dict:
    image = document.get("image") or {}
    layers = [layer for layer in image.get("layers") or [] if isinstance(layer, dict)]
    index = {layer.get("digest"): position for position, layer in enumerate(layers)}
    base_count, base_name = _base(image, len(layers))
    groups: dict[str, dict] = {}
    for change in changes:
        if change.kind not in ("upgrade", "remove_package"):
            continue
        digest = (document["packages"].get(change.target) or {}).get("layer")
        position = index.get(digest)
        if position is None:
            name, entry = "unknown", {"layer": None, "index": None, "base": None, "created_by": None}
        else:
            name = f"{position:06d}"
            entry = {"layer": digest, "index": position, "base": position < base_count,
                     "created_by": layers[position].get("created_by")}
        groups.setdefault(name, dict(entry, changes=[]))["changes"].append(change.target)
    ordered = [groups[name] for name in sorted(groups)]
    from_base = sum(len(c.clears) for c in changes if c.target in _targets(ordered, True))
    from_all = sum(len(c.clears) for c in changes if c.kind in ("upgrade", "remove_package"))
    rebuild = None
    if from_all and from_base * 2 > from_all:
        rebuild = {"base_image": base_name, "findings": from_base, "of": from_all,
                   "summary": f"rebuild on a newer base image{f' than {base_name}' if base_name else ''}: "
                              f"{from_base} of the {from_all} package findings come from its layers"}
    return {"layers": ordered, "rebuild_base": rebuild}


def _targets(groups: list[dict], base: bool) -> set[str]:
    return {target for g in groups if g["base"] is base for target in g["changes"]}


def _base(image: dict, layer_count: int) -> tuple[int, str | None]:
    """(how many of the first layers are the base image's, the base image's name when the Dockerfile says)."""
    dockerfile = image.get("dockerfile") or {}
    instructions = [i for i in dockerfile.get("instructions") or [] if isinstance(i, dict) and i.get("final_stage")]
    if dockerfile.get("mode") == "actual" and instructions:
        own = sum(1 for i in instructions if str(i.get("instruction", "")).upper() in _LAYER_MAKING)
        base = next((str(i.get("value", "")).split()[0] for i in instructions
                     if str(i.get("instruction", "")).upper() == "FROM" and i.get("value")), None)
        return max(layer_count - own, 0), base
    return min(layer_count, 1), None
