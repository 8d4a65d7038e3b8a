"""Config blob + layer summaries in manifest order → the image's facts."""

from __future__ import annotations

import hashlib
from typing import Any

from ..adapters.imageconfig import map_config, parse_reference, reference_digest
from ..adapters.normalize import distro_id
from ..adapters.view import View
from ..base import ExtractOptions, Facts
from ..conceal import conceal
from ..globs import compile_globs, is_glob
from ..contentsearch import compile_search
from ..numbers import clip, decimal
from .filesystem import Filesystem
from .layers import FileEntry, Layer, ReadPlan
from .limits import Budget, Where
from .malware import scan_for_malware
from .manifest import ImagePlan, parse_json
from .verify import verify_packages

# The facts key under which the package verification travels to the image reader.
VERIFICATION = "_package_verification"

# Read even when not configured as content paths: users and distro come from them.
ALWAYS_CAPTURED = frozenset({"/etc/passwd", "/etc/group", "/etc/os-release", "/usr/lib/os-release"})


def read_plan(options: ExtractOptions) -> ReadPlan:
    return ReadPlan(
        capture=frozenset(options.content_paths) | ALWAYS_CAPTURED,
        max_content_bytes=options.max_content_bytes,
        scan_secrets=options.scan_secrets,
        secret_scan_max_bytes=options.secret_scan_max_bytes,
        unpack_dir=options.unpack_dir,
        content_search=compile_search(options.content_patterns),
        verify=_verifying(options),
    )


def _verifying(options: ExtractOptions) -> bool:
    # Verification lands on the packages Syft lists: without Syft the MD5s and SHA-1s would be wasted.
    return options.verify_packages and options.run_syft


def build_facts(
    config_bytes: bytes,
    plan: ImagePlan,
    layers: list[Layer],
    options: ExtractOptions,
    budget: Budget,
    where: Where,
) -> Facts:
    config_where = where.inside(plan.config)
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    if plan.config_digest and plan.config_digest != config_digest:
        raise config_where.error(f"config blob does not match its digest {plan.config_digest}")
    config = parse_json(config_bytes, config_where)
    image = map_config(View(config, f"{where.path}:{plan.config}"))
    _check_layers(image.get("layers", []), plan, layers, where)

    fs = Filesystem()
    for layer in layers:
        fs.apply(layer)

    image["id"] = config_digest
    image.update(_identity(plan))
    image["size"] = sum(layer.size for layer in layers)
    for described, layer in zip(image.get("layers", []), layers):
        described["size"] = layer.size
        if plan.layer_digests:
            described["blob_digest"] = layer.blob_digest
            described["blob_size"] = layer.blob_size
    distro = _distro(_text(fs.resolve("/etc/os-release", budget.limits.max_link_hops))
                     or _text(fs.resolve("/usr/lib/os-release", budget.limits.max_link_hops)))
    if distro:
        image["distro"] = distro

    users = _users(_text(fs.resolve("/etc/passwd", budget.limits.max_link_hops)),
                   _text(fs.resolve("/etc/group", budget.limits.max_link_hops)), where)
    facts = {
        "image": image,
        "files": _files(fs, options, budget, where),
        "users": users,
        "secrets": _secrets(layers),
    }
    if options.malware_scan:
        facts["malware"] = scan_for_malware(fs, options.clamav_db, budget, where)
    if _verifying(options):
        # Not a document field: the image reader attaches it to the packages Syft lists (`VERIFICATION`).
        facts[VERIFICATION] = verify_packages(fs, budget.limits.max_link_hops)
    # Secrets of files not kept may show again in the config or in kept files, without the
    # context that made them secrets (`RUN echo <key>`): masked there while the values are known.
    conceal(facts, frozenset(v for layer in layers for e in layer.entries.values() for v in e.secret_values))
    return facts


def _check_layers(described: list[dict], plan: ImagePlan, layers: list[Layer], where: Where) -> None:
    """Each layer must be the one the config names (diff id) and, for OCI,
    the blob the manifest names; a truncated or swapped layer fails here."""
    if len(described) != len(layers):
        raise where.error(f"the image config lists {len(described)} layers but the manifest {len(layers)}")
    for index, (entry, layer, name) in enumerate(zip(described, layers, plan.layers)):
        if entry["digest"] != layer.diff_id:
            raise where.inside(name).error(
                f"layer {index} content ({layer.diff_id}) does not match the config's diff id {entry['digest']}"
            )
        if plan.layer_digests and plan.layer_digests[index] != layer.blob_digest:
            raise where.inside(name).error(
                f"layer {index} blob ({layer.blob_digest}) does not match the manifest digest {plan.layer_digests[index]}"
            )


def _identity(plan: ImagePlan) -> dict[str, str]:
    out: dict[str, str] = {}
    for ref in plan.references:
        parsed = parse_reference(ref)
        if parsed:
            out.update(parsed)
            if reference_digest(ref):
                out["digest"] = reference_digest(ref)
            break
    if plan.tag and "tag" not in out:
        out["tag"] = plan.tag
    if plan.digest:
        out["digest"] = plan.digest
    return out


def _text(entry: FileEntry | None) -> str:
    if entry is None or entry.contents is None:
        return ""
    return entry.contents.decode("utf-8", errors="replace")


def _files(fs: Filesystem, options: ExtractOptions, budget: Budget, where: Where) -> dict[str, dict[str, Any]]:
    """Every path of the final filesystem, as a process in the container sees them: also those
    reached through directory symlinks, each described by the entry it leads to."""
    configured = set(options.content_paths)
    globs = [pattern for pattern in configured if is_glob(pattern)]
    selection = compile_globs(globs)
    selected: set[str] = set()
    aliases = fs.aliases(budget, where)
    out: dict[str, dict[str, Any]] = {}
    for path in sorted([*fs.entries, *aliases]):
        real = aliases.get(path, path)
        entry, layer = fs.entries[real]
        item: dict[str, Any] = {
            "path": path,
            "type": entry.type,
            "mode": entry.mode,
            "uid": entry.uid,
            "gid": entry.gid,
            "setuid": bool(entry.mode & 0o4000),
            "setgid": bool(entry.mode & 0o2000),
            "layer": layer,
        }
        # Hard links share their target's data; symlinks only point at it.
        data = fs.resolve(real, budget.limits.max_link_hops) if entry.type == "hardlink" else entry
        if entry.type in ("file", "hardlink") and data is not None and data.type == "file":
            item["size"] = data.size
            item["sha256"] = data.sha256
            if data.content_matches:
                item["content_matches"] = list(data.content_matches)
        if entry.link_target:
            item["link_target"] = entry.link_target
        if path in configured or (selection is not None and selection.fullmatch(path) and entry.type != "dir"):
            selected.add(path)
            target = fs.resolve(path, budget.limits.max_link_hops)
            if target is not None and target.contents is not None:
                item["contents"] = _text(target)
            elif target is not None and target.type == "file" and target.size > options.max_content_bytes:
                budget.warn(f"{path}: contents not kept, {target.size} bytes is over the "
                            f"{options.max_content_bytes}-byte content limit")
            elif target is not None and target.type == "file":
                # Only files named like a captured path are kept while streaming; a link to
                # another name is known only once the whole image is read.
                budget.warn(f"{path}: contents not kept, it leads to {target.path}, which has another name "
                            f"(pass --content {target.path} to keep it)")
        out[path] = item
    for pattern in sorted(globs):
        if not any(compile_globs([pattern]).fullmatch(path) for path in selected):
            budget.warn(f"--content {pattern}: no file of the image matches it")
    return out


def _secrets(layers: list[Layer]) -> dict[str, dict[str, Any]]:
    """Findings of every layer, not only of the final filesystem: a layer ships
    whole, so a credential deleted by a later layer is still in the image
    (Trivy reports those too). A later layer's finding at the same place wins."""
    out: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for path, entry in layer.entries.items():
            for finding in entry.secrets:
                out[f"{finding['kind']}:{path}:{finding['line']}"] = {**finding, "layer": layer.diff_id}
    return dict(sorted(out.items()))


def _users(passwd: str, group: str, where: Where) -> dict[str, dict[str, Any]]:
    groups: dict[int, str] = {}
    for number, line in enumerate(group.splitlines(), 1):
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] and fields[0][0] not in "#+-":
            groups.setdefault(_id(fields[2], "gid", number, where.inside("/etc/group")), fields[0])
    users: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(passwd.splitlines(), 1):
        fields = line.split(":")
        # Comments, NIS `+` entries and malformed lines name no user.
        if len(fields) < 7 or not fields[0] or fields[0][0] in "#+-" or fields[0] in users:
            continue
        at = where.inside("/etc/passwd")
        uid, gid = _id(fields[2], "uid", number, at), _id(fields[3], "gid", number, at)
        user = {"name": fields[0], "uid": uid, "gid": gid, "gecos": fields[4],
                "home": fields[5], "shell": fields[6], "entry": line}
        if gid in groups:
            user["group"] = groups[gid]
        users[fields[0]] = user
    return users


def _id(text: str, kind: str, line: int, where: Where) -> int:
    """A uid or gid. One that is not a number is an error, not a skipped line: a policy about
    users must not pass because a user went unread."""
    value = decimal(text)
    if value is None:
        raise where.error(f"line {line}: {kind} {clip(text)!r} is not a decimal number in 64-bit range")
    return value


def _distro(os_release: str) -> dict[str, Any]:
    values: dict[str, str] = {}
    for line in os_release.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key] = value.strip().strip("\"'")
    if not values.get("ID"):
        return {}
    distro: dict[str, Any] = {"name": distro_id(values["ID"])}
    if values.get("VERSION_ID"):
        distro["version"] = values["VERSION_ID"]
    if values.get("ID_LIKE"):
        distro["like"] = values["ID_LIKE"].split()
    return distro
