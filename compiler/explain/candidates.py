"""Which change clears a finding: the entry the finding names, found in the
input document, and the change to that entry a developer would make.

A finding's key names the entry its rule matched (docs/decision.md); the
rule's `reads` say which collections to look in first. Findings about the
image as a whole (key `image`) get the configuration changes that apply to
the image, and the proof decides which of them matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .changes import HEALTHCHECK, NONROOT_UID, Change

# Collections a finding's key can name, with the kind of data (`reads`) each belongs to.
_COLLECTIONS = (("vulnerabilities", "vulnerabilities"), ("packages", "packages"), ("secrets", "secrets"),
                ("files", "files"), ("files", "file_contents"), ("malware", "malware"), ("users", "users"),
                ("misconfigurations", "misconfigurations"), ("image.exposed_ports", "image_config"),
                ("image.env", "image_config"), ("image.labels", "image_config"))
READS_NOTHING = ("the rule reads nothing the image's contents decide (a constant condition, or the scan's own "
                 "metadata such as `sources`): no change to the image clears it")
_ROOT_USERS = ("", "root", "0", "0:0", "root:root")


@dataclass
class Candidates:
    """What planning found for the blocking findings, before versions are chosen."""
    changes: dict[tuple[str, str], Change] = field(default_factory=dict)
    # Package key -> ids of the findings an upgrade of it is meant to clear.
    upgrade_findings: dict[str, list[str]] = field(default_factory=dict)
    # Ids of findings about the image as a whole; configuration changes are tried on them.
    image_wide: list[str] = field(default_factory=list)
    # Finding id -> why no change is planned for it.
    unresolved: dict[str, str] = field(default_factory=dict)
    # Finding id -> other changes that would clear it, not planned because they change more.
    alternatives: dict[str, list[str]] = field(default_factory=dict)

    def add(self, change: Change) -> None:
        known = self.changes.get((change.kind, change.target))
        if known is not None:
            change = Change(known.kind, known.target, known.summary, known.before, known.after,
                            tuple(sorted(set(known.clears) | set(change.clears))), known.detail)
        self.changes[(change.kind, change.target)] = change


def finding_id(finding: dict) -> str:
    return f"{finding['policy']}/{finding['rule']}:{finding['key']}"


def locate(document: dict, key: str, reads: list[str]) -> tuple[str, dict] | None:
    """(collection, entry) the key names; collections the rule reads are searched first."""
    ordered = sorted(_COLLECTIONS, key=lambda c: c[1] not in reads)
    for collection, _kind in ordered:
        entries = document
        for part in collection.split("."):
            entries = entries.get(part) if isinstance(entries, dict) else None
        if isinstance(entries, dict) and isinstance(entries.get(key), dict):
            return collection, entries[key]
    return None


def collect(document: dict, findings: list[dict], reads_of) -> Candidates:
    found = Candidates()
    for finding in findings:
        fid = finding_id(finding)
        reads = reads_of(finding)
        if not reads:
            found.unresolved[fid] = READS_NOTHING
            continue
        if finding["key"] == "image":
            found.image_wide.append(fid)
            continue
        located = locate(document, finding["key"], reads)
        if located is None:
            found.unresolved[fid] = (f"the plan cannot change what the rule reads ({', '.join(reads)}): "
                                     f"{finding['key']} is no entry the plan changes")
            continue
        _entry_change(found, document, fid, finding["key"], *located)
    return found


def _entry_change(found: Candidates, document: dict, fid: str, key: str, collection: str, entry: dict) -> None:
    if collection == "vulnerabilities":
        package = (entry.get("package") or {}).get("key")
        versions = [v for v in ((entry.get("fix") or {}).get("versions") or []) if isinstance(v, str)]
        if package not in document["packages"]:
            found.unresolved[fid] = f"{entry.get('id', key)} names no package of the document"
            return
        found.alternatives[fid] = [f"remove {_package_name(document, package)}"]
        if not versions:
            found.unresolved[fid] = f"no fix version known for {entry.get('id', key)} in {_package_name(document, package)}"
        else:
            found.upgrade_findings.setdefault(package, []).append(fid)
        return
    if collection == "packages":
        found.add(Change("remove_package", key, f"remove {entry.get('name', key)} {entry.get('version', '')}".rstrip(),
                         before=entry.get("version"), clears=(fid,)))
    elif collection in ("files", "malware") or (collection == "secrets" and _in_file(entry)):
        path = entry.get("path", key)
        found.add(Change("remove_file", path, f"remove {path} from the image", before=path, clears=(fid,)))
    elif collection == "secrets":
        where = str(entry.get("path", ""))
        found.add(Change("remove_secret", where, f"stop passing the secret in {where} (and rotate it)", before=where,
                         clears=(fid,), detail={"secret": key}))
    elif collection == "image.exposed_ports":
        found.add(Change("drop_port", key, f"drop EXPOSE {key}", before=key, clears=(fid,)))
    else:
        noun = {"users": "user", "misconfigurations": "misconfiguration", "image.env": "ENV variable",
                "image.labels": "LABEL"}[collection]
        found.add(Change("remove_entry", key, f"remove {noun} {key}", before=key, clears=(fid,),
                         detail={"collection": collection}))


def _in_file(secret: dict) -> bool:
    return secret.get("location", "file") == "file"


def _package_name(document: dict, key: str) -> str:
    package = document["packages"].get(key) or {}
    return f"{package.get('name', key)} {package.get('version', '')}".rstrip()


def upgrade_requests(document: dict, packages) -> dict[str, dict]:
    """What `versions.lowest_upgrades` needs for these packages: every vulnerability on each that names fixes."""
    requests = {key: {"type": document["packages"][key].get("type", "unknown"),
                      "version": document["packages"][key].get("version", ""), "fixes": {}} for key in packages}
    for vkey, vuln in document["vulnerabilities"].items():
        request = requests.get((vuln.get("package") or {}).get("key"))
        if request is not None:
            versions = [v for v in ((vuln.get("fix") or {}).get("versions") or []) if isinstance(v, str)]
            if versions:
                request["fixes"][vkey] = versions
    return requests


def config_changes(document: dict, clears: tuple[str, ...]) -> list[Change]:
    """The configuration changes that apply to this image: USER when it runs as root, a HEALTHCHECK when it has none."""
    image = document.get("image") or {}
    changes = []
    user = image.get("effective_user", image.get("user", ""))
    if str(user or "").strip() in _ROOT_USERS:
        target = _unprivileged_user(document)
        changes.append(Change("set_user", "image", f"set USER {target}", before=user or "root", after=target,
                              clears=clears))
    if not image.get("healthcheck"):
        changes.append(Change("add_healthcheck", "image", "add a HEALTHCHECK that probes the service",
                              before=None, after=HEALTHCHECK, clears=clears))
    return changes


def _unprivileged_user(document: dict) -> str:
    """An unprivileged user the image already has (lowest uid ≥ 1000, else `nobody`), else the nonroot uid."""
    users = [u for u in (document.get("users") or {}).values() if isinstance(u, dict) and isinstance(u.get("uid"), int)]
    regular = sorted((u["uid"], u.get("name", "")) for u in users if u["uid"] >= 1000 and u["uid"] != 65534)
    if regular:
        return regular[0][1]
    if any(u.get("name") == "nobody" for u in users):
        return "nobody"
    return NONROOT_UID
