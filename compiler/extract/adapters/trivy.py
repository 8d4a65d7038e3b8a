"""Trivy JSON: SchemaVersion 2 reports and the legacy top-level list of results.

A report holds one result per target (the OS package database, each language
lock file, each file with secrets or misconfigurations). Package types come
from the purl when Trivy gives one, else from the result's Type (an OS family
for `os-pkgs`, an analyser name for `lang-pkgs`).
"""

from __future__ import annotations

from ..base import Extraction, Facts, Source
from ..document import add_entry
from . import cvss, entries
from .imageconfig import image_names, layers, map_config, merge_layers
from .licenses import normalize_licenses
from .coverage_distros import trivy_distros
from .normalize import distro_entry, rfc3339, severity, unique
from .view import View

_APK, _DEB, _RPM = "apk", "deb", "rpm"
# Trivy's result Types (OS families and language analysers) → package types as Syft names them.
TRIVY_TYPES = {
    **dict.fromkeys(("alpine", "wolfi", "chainguard", "minimos"), _APK),
    **dict.fromkeys(("debian", "ubuntu"), _DEB),
    **dict.fromkeys(
        ("redhat", "centos", "rocky", "alma", "amazon", "oracle", "fedora", "photon", "cbl-mariner", "azurelinux",
         "suse linux enterprise server", "suse linux enterprise micro", "opensuse.leap", "opensuse.tumbleweed", "opensuse"),
        _RPM,
    ),
    **dict.fromkeys(("pip", "pipenv", "poetry", "python-pkg", "uv"), "python"),
    **dict.fromkeys(("npm", "yarn", "pnpm", "node-pkg", "bun"), "npm"),
    **dict.fromkeys(("jar", "pom", "gradle", "sbt"), "java-archive"),
    **dict.fromkeys(("gomod", "gobinary"), "go-module"),
    **dict.fromkeys(("bundler", "gemspec"), "gem"),
    **dict.fromkeys(("cargo", "rust-binary"), "rust-crate"),
    **dict.fromkeys(("composer", "composer-vendor"), "php-composer"),
    **dict.fromkeys(("nuget", "dotnet-core", "packages-props"), "dotnet"),
    "conan": "conan",
    "conda-pkg": "conda",
    "pub": "dart-pub",
    "hex": "hex",
    "swift": "swift",
    "cocoapods": "pod",
}

# Trivy's vendor statuses → regate's fix states.
_STATUSES = {
    "fixed": "fixed",
    "affected": "not-fixed",
    "fix_deferred": "not-fixed",
    "will_not_fix": "wont-fix",
    "end_of_life": "wont-fix",
}


def trivy_type(result_type: str) -> str:
    return TRIVY_TYPES.get(result_type.strip().lower(), "")


def _full_version(item: View) -> str:
    version = item.str("Version")
    if item.str("Release"):
        version = f"{version}-{item.str('Release')}"
    epoch = item.int("Epoch")
    return f"{epoch}:{version}" if epoch else version


def _package(item: View, default_type: str, version: str, name_field: str, lock_file: str) -> dict:
    identifier = item.obj("PkgIdentifier") if item.has("PkgIdentifier") else item.obj("Identifier")
    purl = identifier.str("PURL")
    return entries.package(
        name=item.str(name_field),
        version=version,
        type="" if purl else default_type,
        purl=purl,
        licenses=item.strs("Licenses"),
        locations=[item.str("PkgPath") or item.str("FilePath") or lock_file],
        layer=item.obj("Layer").str("DiffID"),
        source_name=item.str("SrcName"),
    )


def _fix(vuln: View) -> dict:
    versions = [v.strip() for v in vuln.str("FixedVersion").split(",") if v.strip()]
    status = vuln.str("Status").strip().lower()
    state = _STATUSES.get(status) if status else ("fixed" if versions else "unknown")
    return entries.fix(state or "unknown", versions)


def _vulnerability(vuln: View, pkg: dict) -> tuple[str, dict]:
    scores = cvss.from_trivy(vuln.obj("CVSS"))
    vuln_id = vuln.str("VulnerabilityID")
    if not vuln_id:
        raise vuln.error("a vulnerability without an id", "VulnerabilityID")
    return entries.vulnerability(
        vuln_id,
        pkg,
        severity(vuln.raw("Severity")),
        _fix(vuln),
        namespace=vuln.obj("DataSource").str("ID") or vuln.str("SeveritySource"),
        description=vuln.str("Description") or vuln.str("Title"),
        cvss=scores,
        **cvss.summarise(scores, []),
        urls=unique([vuln.str("PrimaryURL"), *vuln.strs("References")]),
        published=rfc3339(vuln.str("PublishedDate")),
        modified=rfc3339(vuln.str("LastModifiedDate")),
    )


def _misconfiguration(item: View, target: str) -> tuple[str, dict]:
    misconfig_id = item.str("ID") or item.str("AVDID")
    entry = {"id": misconfig_id, "target": target, "severity": severity(item.raw("Severity"))}
    for source, field in (("Type", "type"), ("Title", "title"), ("Message", "message"), ("Resolution", "resolution")):
        if item.str(source):
            entry[field] = item.str(source)
    if item.str("Status"):
        entry["status"] = item.str("Status").lower()
    line = item.obj("CauseMetadata").int("StartLine")
    if line:
        entry["line"] = line
    return f"{misconfig_id}:{target}", entry


def _vulnerability_scan(result) -> bool:
    """A result of Trivy's vulnerability scanner: its package classes, or (before Trivy had
    other scanners, and results had no Class) any result."""
    if not isinstance(result, dict):
        return False
    return result.get("Class", "os-pkgs") in ("os-pkgs", "lang-pkgs") or "Vulnerabilities" in result


def _result(result: View, facts: Facts, licenses_by_name: dict[str, list[str]], not_affected: list[str]) -> None:
    result.expect_object()
    target = result.str("Target")
    default_type = trivy_type(result.str("Type"))
    # A language result's target is the lock file or manifest its packages were read from.
    lock_file = target if result.str("Class") == "lang-pkgs" else ""
    for item in result.arr("Packages"):
        pkg = _package(item.expect_object(), default_type, _full_version(item), "Name", lock_file)
        add_entry(facts, "packages", pkg["key"], pkg)
    for item in result.arr("Vulnerabilities"):
        pkg = _package(item.expect_object(), default_type, item.str("InstalledVersion"), "PkgName", lock_file)
        add_entry(facts, "packages", pkg["key"], pkg)
        key, vuln = _vulnerability(item, pkg)
        # The vendor's statement that this package is not affected: no finding, whatever its severity.
        if item.str("Status").strip().lower() == "not_affected":
            not_affected.append(key)
            continue
        add_entry(facts, "vulnerabilities", key, vuln)
    for item in result.arr("Secrets"):
        item.expect_object()
        key, entry = entries.secret(
            entries.secret_kind(item.str("RuleID")),
            target,
            item.int("StartLine"),
            item.str("Match"),
            severity=severity(item.raw("Severity")),
            title=item.str("Title"),
            source="trivy",
            layer=item.obj("Layer").str("DiffID"),
        )
        add_entry(facts, "secrets", key, entry)
    for item in result.arr("Misconfigurations"):
        key, entry = _misconfiguration(item.expect_object(), target)
        add_entry(facts, "misconfigurations", key, entry)
    for item in result.arr("Licenses"):
        item.expect_object()
        if item.str("PkgName") and item.str("Name"):
            licenses_by_name.setdefault(item.str("PkgName"), []).append(item.str("Name"))
        elif item.str("FilePath") and item.str("Name"):
            # A license-file result: the license text found in a loose file, not in a package.
            path = "/" + item.str("FilePath").lstrip("/")
            add_entry(facts, "files", path, {"path": path, "type": "file", "licenses": normalize_licenses([item.str("Name")])})


def _image(root: View) -> dict:
    metadata = root.obj("Metadata")
    config = metadata.obj("ImageConfig")
    image: dict = {}
    is_image = root.str("ArtifactType") in ("container_image", "")
    # Filesystem and repository scans carry an all-empty ImageConfig, which says nothing about any image.
    if is_image and (config.str("architecture") or config.obj("rootfs").strs("diff_ids") or config.obj("config").value):
        image = map_config(config)
    blobs = [item.expect_object() for item in metadata.arr("Layers")]
    sizes = {item.str("DiffID"): item.size("Size") for item in blobs if item.size("Size") is not None}
    trivy_layers = layers(metadata.strs("DiffIDs"), [], sizes)
    for layer, blob in zip(trivy_layers, blobs):
        if blob.str("Digest"):
            layer["blob_digest"] = blob.str("Digest")
    merged = merge_layers(image.get("layers", []), trivy_layers)
    if merged:
        image["layers"] = merged
    candidates = [metadata.str("Reference"), *metadata.strs("RepoTags")]
    if is_image:
        candidates.append(root.str("ArtifactName"))
    image.update(image_names(candidates, metadata.strs("RepoDigests")))
    if metadata.str("ImageID"):
        image["id"] = metadata.str("ImageID")
    if metadata.size("Size"):
        image["size"] = metadata.size("Size")
    os_info = metadata.obj("OS")
    if os_info.str("Family"):
        image["distro"] = distro_entry(os_info.str("Family"), os_info.str("Name"))
    return image


def _apply_licenses(facts: Facts, licenses_by_name: dict[str, list[str]], warnings: list[str]) -> dict[str, list[str]]:
    """Licenses applied to the report's packages of each name; those of unlisted packages are returned."""
    unlisted = {}
    for name, names in licenses_by_name.items():
        found = [pkg for pkg in facts.get("packages", {}).values() if pkg["name"] == name]
        if not found:
            unlisted[name] = normalize_licenses(names)
        for pkg in found:
            add_entry(facts, "packages", pkg["key"], {"licenses": normalize_licenses(names)})
    if unlisted:
        warnings.append(
            f"license results name {len(unlisted)} packages the report does not list ({', '.join(sorted(unlisted))}): "
            "without versions they cannot be entries of `packages`, so their licenses go only to packages of "
            "those names that other inputs list (e.g. an SBOM of the image); pass one, or scan with `--list-all-pkgs`"
        )
    return unlisted


class TrivyJson:
    format = "trivy-json"
    description = "Trivy JSON (`trivy image -f json`), SchemaVersion 2 and the legacy list of results"

    def detect(self, doc) -> bool:
        if isinstance(doc, dict):
            return "SchemaVersion" in doc and ("Results" in doc or "ArtifactName" in doc)
        return (
            isinstance(doc, list)
            and bool(doc)
            and all(isinstance(item, dict) and "Target" in item for item in doc)
        )

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        results = root.arr("Results") if isinstance(doc, dict) else list(root.items())
        facts: Facts = {}
        warnings: list[str] = []
        licenses_by_name: dict[str, list[str]] = {}
        not_affected: list[str] = []
        for result in results:
            _result(result, facts, licenses_by_name, not_affected)
        if not_affected:
            warnings.append(f"{len(not_affected)} vulnerability records have Status not_affected (the vendor says the "
                            f"package is not affected): left out of vulnerabilities: {', '.join(sorted(not_affected))}")
        unlisted = _apply_licenses(facts, licenses_by_name, warnings)
        facts["image"] = _image(root) if isinstance(doc, dict) else {}
        version = root.obj("Trivy").str("Version") if isinstance(doc, dict) else ""
        scanned = rfc3339(root.raw("CreatedAt")) if isinstance(doc, dict) else None
        uncovered = frozenset()
        if not any(_vulnerability_scan(result.value) for result in results):
            uncovered = frozenset({"vulnerabilities"})
            warnings.append("no vulnerability scan results (only secret, license or configuration "
                            "scanning?): the document has no vulnerability data")
        distros = trivy_distros(root, results) if isinstance(doc, dict) else None
        return Extraction(facts, Source("trivy", self.format, version, path, scanned=scanned or "", distros=distros),
                          warnings, licenses_by_name=unlisted, uncovered=uncovered)
