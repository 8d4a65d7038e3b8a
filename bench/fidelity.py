"""Fidelity report of the real-world corpus: per file, what the source states against what the input
document holds, and every fact extraction left out with its reason (`make fidelity`).

The source side is counted here from the raw JSON, independently of the adapters: distinct packages,
vulnerability records (vulnerability x package), files, layers, history entries, environment
variables and labels. A count that differs from the document's without a warning of the
extraction to account for it is UNEXPLAINED, and the run exits 1.

    python bench/fidelity.py [--corpus DIR] [FILE...]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regate.errors import InputError  # noqa: E402
from regate.extract.base import ExtractOptions  # noqa: E402
from regate.extract.document import build_document  # noqa: E402
from regate.extract.registry import extract_path  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "realworld"
KINDS = ("packages", "vulnerabilities", "files", "secrets", "misconfigurations", "layers", "history", "env", "labels")


def _distinct(items, *fields) -> int:
    return len({tuple(str(item.get(f)) for f in fields) for item in items})


def _config_counts(config: dict) -> dict:
    """Layers, history, env and labels of an image config blob (or the `Config` of docker inspect)."""
    inner = config.get("config") or config.get("Config") or {}
    rootfs = config.get("rootfs") or config.get("RootFS") or {}
    return {"layers": len(rootfs.get("diff_ids") or rootfs.get("Layers") or []),
            "history": len(config.get("history") or []),
            "env": len({item.partition("=")[0] for item in inner.get("Env") or []}),
            "labels": len(inner.get("Labels") or {})}


def _syft_image(meta: dict) -> dict:
    counts = {"layers": len(meta.get("layers") or [])}
    if meta.get("config"):
        config = json.loads(base64.b64decode(meta["config"]))
        counts.update({k: v for k, v in _config_counts(config).items() if k != "layers"})
    counts["labels"] = counts.get("labels") or len(meta.get("labels") or {})
    return counts


def _cyclonedx_components(components) -> list[dict]:
    out = []
    for component in components or []:
        out.append(component)
        out.extend(_cyclonedx_components(component.get("components")))
    return out


def _trivy_results(doc) -> list[dict]:
    return doc if isinstance(doc, list) else doc.get("Results") or []


def source_counts(fmt: str, doc) -> dict:
    """What the raw file states, by the format regate detected."""
    if fmt == "syft-json":
        meta = doc.get("source", {}).get("metadata") or doc.get("source", {}).get("target") or {}
        image = _syft_image(meta) if isinstance(meta, dict) else {}
        return {"packages": _distinct(doc["artifacts"], "type", "name", "version"),
                "files": len({f["location"]["path"] for f in doc.get("files") or []}), **image}
    if fmt == "syft-image-metadata":
        return _syft_image(doc)
    if fmt == "grype-json":
        matches = doc["matches"]
        target = doc.get("source", {}).get("target")
        image = _syft_image(target) if isinstance(target, dict) else {}
        return {**image,"packages": len({(m["artifact"]["type"], m["artifact"]["name"], m["artifact"]["version"]) for m in matches}),
                "vulnerabilities": len({(m["vulnerability"]["id"], m["artifact"]["type"], m["artifact"]["name"],
                                         m["artifact"]["version"]) for m in matches})}
    if fmt == "cyclonedx-json":
        components = _cyclonedx_components(doc.get("components"))
        kinds = Counter(c.get("type") for c in components)
        properties = [p.get("name", "") for p in (doc.get("metadata", {}).get("properties") or [])
                      + (doc.get("metadata", {}).get("component", {}).get("properties") or [])]
        return {"labels": sum(name.startswith("syft:image:labels:") for name in properties),
                "layers": sum(name == "aquasecurity:trivy:DiffID" for name in properties),
                # One package found in several places (a Go module in eight binaries) is listed once per
                # place; as for Syft's JSON, what counts is the distinct packages.
                "packages": len({(c.get("purl") or f"{c.get('name')}@{c.get('version')}").partition("?")[0]
                                 for c in components if c.get("type") not in ("operating-system", "file", "container")}),
                "files": kinds.get("file", 0),
                "vulnerabilities": sum(len(v.get("affects") or []) for v in doc.get("vulnerabilities") or [])}
    if fmt == "spdx-json":
        # The image, its operating system and the subject the document describes (the scanned
        # directory) are described by `image`, not listed as packages.
        described = set(doc.get("documentDescribes") or []) | {
            r.get("relatedSpdxElement") for r in doc.get("relationships") or []
            if r.get("spdxElementId") == "SPDXRef-DOCUMENT" and r.get("relationshipType") == "DESCRIBES"}
        images = [p for p in doc.get("packages") or [] if p.get("primaryPackagePurpose") in ("CONTAINER", "OPERATING-SYSTEM")
                  or p.get("SPDXID", "").startswith(("SPDXRef-ContainerImage", "SPDXRef-OperatingSystem"))
                  or p.get("SPDXID") in described]
        return {"packages": len(doc.get("packages") or []) - len(images), "files": len(doc.get("files") or []),
                "layers": sum(text.startswith("DiffID: ") for p in images for text in p.get("attributionTexts") or [])}
    if fmt == "trivy-json":
        results = _trivy_results(doc)
        metadata = doc.get("Metadata", {}) if isinstance(doc, dict) else {}
        # Packages are listed with --list-all-pkgs; otherwise the vulnerable ones are named by their records.
        listed = {(r.get("Type"), p.get("Name"), p.get("Version")) for r in results for p in r.get("Packages") or []}
        listed |= {(r.get("Type"), v.get("PkgName"), v.get("InstalledVersion")) for r in results for v in r.get("Vulnerabilities") or []}
        counts = {"packages": len(listed),
                  "files": sum(len(r.get("Licenses") or []) for r in results if r.get("Class") == "license-file"),
                  # One record per place a package was found (a module in three go.mod files is three
                  # records): what counts, as for packages, is the distinct vulnerability x package.
                  "vulnerabilities": len({(v.get("VulnerabilityID"), r.get("Type"), v.get("PkgName"), v.get("InstalledVersion"))
                                          for r in results for v in r.get("Vulnerabilities") or []}),
                  "secrets": sum(len(r.get("Secrets") or []) for r in results),
                  "misconfigurations": sum(len(r.get("Misconfigurations") or []) for r in results)}
        if metadata.get("ImageConfig"):
            counts.update(_config_counts(metadata["ImageConfig"]))
        return counts
    if fmt == "anchore-export":
        item = doc[0] if isinstance(doc, list) else doc
        data = item["image"]["imagedata"]
        report = data["analysis_report"]
        inspect = data["image_report"].get("docker_data") or {}
        return {"packages": len(report.get("package_list", {}).get("pkgs.all", {}).get("base") or {}),
                "files": len(report.get("file_list", {}).get("files.allinfo", {}).get("base") or {}),
                "history": len(data["image_report"].get("docker_history") or []),
                **{k: v for k, v in _config_counts(inspect).items() if k != "history"}}
    if fmt == "anchore-vulnerabilities":
        if isinstance(doc, dict) and "securityEvaluation" in doc:
            records = doc["securityEvaluation"]
            return {"vulnerabilities": _distinct(records, "vulnerabilityId", "package"),
                    "packages": _distinct(records, "package")}
        records = doc if isinstance(doc, list) else doc["vulnerabilities"]
        name = "packageName" if records and "packageName" in records[0] else "package_name"
        version = "packageVersion" if name == "packageName" else "package_version"
        kind = "packageType" if name == "packageName" else "package_type"
        return {"vulnerabilities": _distinct(records, "vuln", kind, name, version), "packages": _distinct(records, kind, name, version)}
    if fmt == "docker-inspect":
        return _config_counts(doc[0] if isinstance(doc, list) else doc)
    if fmt == "image-config":
        return _config_counts(doc)
    if fmt == "image-manifest":
        return {"layers": len(doc.get("layers") or [])}
    if fmt == "image-manifest-v1":
        v1 = [json.loads(h["v1Compatibility"]) for h in doc.get("history") or []]
        config = v1[0].get("config") or {} if v1 else {}
        return {"layers": sum(not item.get("throwaway") for item in v1), "history": len(v1),
                "env": len(config.get("Env") or []), "labels": len(config.get("Labels") or {})}
    if fmt == "skopeo-inspect":
        return {"layers": len(doc.get("Layers") or []), "env": len(doc.get("Env") or []), "labels": len(doc.get("Labels") or {})}
    return {}


def document_counts(document: dict) -> dict:
    image = document.get("image") or {}
    counts = {kind: len(document.get(kind) or {}) for kind in KINDS[:5]}
    counts.update({kind: len(image.get(kind) or []) for kind in KINDS[5:]})
    return counts


def report(name: str, path: Path) -> tuple[list[str], dict]:
    """The report lines of one file and its figures."""
    raw = json.loads(path.read_text("utf-8")) if path.suffix == ".json" else None
    try:
        extraction = extract_path(path, ExtractOptions())
    except InputError as exc:
        return [f"{name}\n  refused: {exc.message.splitlines()[0]}"], {"refused": 1}
    fmt = extraction.source.format
    document = build_document([extraction])
    source, found = source_counts(fmt, raw), document_counts(document)
    cells = [f"{kind} {source.get(kind, '-')}/{found[kind]}" for kind in KINDS if source.get(kind) or found.get(kind)]
    lines = [f"{name}\n  {fmt}: " + (", ".join(cells) or "no counted facts") + "  (source/document)"]
    lines += [f"  dropped: {warning}" for warning in extraction.warnings]
    # A difference is accounted for by a warning that names the kind of fact (`packages`, `vulnerabilities/...`).
    unexplained = [kind for kind in KINDS if kind in source and source[kind] != found[kind]
                   and not any(kind.rstrip("s") in warning for warning in extraction.warnings)]
    lines += [f"  UNEXPLAINED: {kind} {source[kind]} in the source, {found[kind]} in the document, no warning says why"
              for kind in unexplained]
    figures = {"read": 1, "format:" + fmt: 1, "warnings": len(extraction.warnings), "unexplained": len(unexplained)}
    for kind in KINDS:
        figures[f"source:{kind}"] = source.get(kind, 0)
        figures[f"document:{kind}"] = found[kind] if kind in source else 0
    return lines, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("files", nargs="*", help="corpus files (relative to --corpus); all by default")
    args = parser.parse_args()
    names = args.files or sorted(str(p.relative_to(args.corpus)) for p in args.corpus.rglob("*")
                                 if p.is_file() and p.name != "PROVENANCE.md")
    totals: Counter = Counter()
    for name in names:
        lines, figures = report(name, args.corpus / name)
        print("\n".join(lines))
        totals.update(figures)
    formats = ", ".join(f"{key[7:]} {n}" for key, n in sorted(totals.items()) if key.startswith("format:"))
    print(f"\n{len(names)} files: {totals['read']} read ({formats}), {totals['refused']} refused")
    print("facts (source/document): " + ", ".join(f"{kind} {totals['source:' + kind]}/{totals['document:' + kind]}"
                                                  for kind in KINDS))
    print(f"{totals['warnings']} warnings naming what was left out and why; {totals['unexplained']} unexplained differences")
    return 1 if totals["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
