"""JSON regate recognises but will not read as image analysis, each with the reason.

Telling the user what they passed ("an Anchore policy bundle") and what to
pass instead beats a generic "unknown format": a reason is two lines, what the
file is and what to pass instead.
"""

from __future__ import annotations

_IMPORT = "use `regate import anchore FILE` to turn Anchore policies into regate's language"
_ANALYSIS = "pass the image, its SBOM or a vulnerability report (e.g. `anchorectl image vulnerabilities IMG -o json`) instead"


def _objects(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class AnchorePolicyBundle:
    format = "anchore-policy-bundle"

    def detect(self, doc) -> bool:
        return isinstance(doc, dict) and isinstance(doc.get("policies"), list) and ("whitelists" in doc or "mappings" in doc)

    def reason(self, doc) -> str:
        return f"is an Anchore policy bundle: a policy, not image analysis\n{_IMPORT}"


class AnchorePolicyEvaluation:
    """`anchore-cli evaluate check --detail --json`: {image digest: {tag: [{detail: {policy, result}}]}}."""

    format = "anchore-policy-evaluation"

    def detect(self, doc) -> bool:
        items = doc if isinstance(doc, list) else [doc]
        for item in items[:1]:
            if isinstance(item, dict) and item:
                for by_tag in item.values():
                    if isinstance(by_tag, dict):
                        for runs in by_tag.values():
                            if isinstance(runs, list) and runs and isinstance(runs[0], dict) and "detail" in runs[0]:
                                return True
        return False

    def reason(self, doc) -> str:
        return f"is an Anchore policy evaluation (the verdict of a policy run), not image analysis\n{_ANALYSIS}"


class Spdx3:
    format = "spdx-3"

    def detect(self, doc) -> bool:
        context = doc.get("@context") if isinstance(doc, dict) else None
        return isinstance(context, str) and "spdx.org/rdf/3" in context

    def reason(self, doc) -> str:
        return "is SPDX 3 (JSON-LD), which regate does not read yet; generate SPDX 2.3 JSON (e.g. `syft -o spdx-json@2.3`)"


class AnchorePolicyPart:
    """One file of a modular Anchore policy: mappings, one policy, or one whitelist (allowlist)."""

    format = "anchore-policy-part"

    @staticmethod
    def kind(doc) -> str:
        if isinstance(doc, dict) and "policies" not in doc:
            if any("gate" in rule and "trigger" in rule for rule in _objects(doc.get("rules"))):
                return "policy"
            items = doc.get("items")
            if isinstance(items, list) and (any("gate" in item and "trigger_id" in item for item in _objects(items))
                                            or (not items and {"id", "name", "version"} <= set(doc))):
                return "whitelist (allowlist)"
            doc = doc.get("mappings", [doc])  # one mapping per file, or a list of them
        mappings = _objects(doc)
        if mappings and all("registry" in m and "repository" in m and ("policy_id" in m or "policy_ids" in m)
                            for m in mappings):
            return "mapping"
        return ""

    def detect(self, doc) -> bool:
        return bool(self.kind(doc))

    def reason(self, doc) -> str:
        return f"is an Anchore policy part (a {self.kind(doc)} file alone), not image analysis\n{_IMPORT}"


class AnchoreReportNotRead:
    """Anchore outputs that describe an image in a shape regate does not read."""

    format = "anchore-report"

    @staticmethod
    def kind(doc) -> str:
        if isinstance(doc, dict):
            if "image_id" in doc and ("legacy_report" in doc or "cpe_report" in doc):
                return "an Anchore policy-engine vulnerability listing (legacy_report/cpe_report)"
            if isinstance(doc.get("evaluations"), list) and ("imageDigest" in doc or "evaluatedTag" in doc):
                return "an Anchore policy evaluation (`anchorectl image check`): the verdict of a policy run"
            if "content_type" in doc and isinstance(doc.get("content"), list):
                return f"an Anchore image content listing ({doc['content_type']})"
        items = _objects(doc)
        if items and all("finalAction" in item and "detail" in item for item in items):
            return "an Anchore policy evaluation (`anchorectl image check`): the verdict of a policy run"
        if items and all("imageDigest" in item and "analysis_status" in item for item in items):
            return "an Anchore image record (`anchore-cli image get`): the image's names, not its contents"
        return ""

    def detect(self, doc) -> bool:
        return bool(self.kind(doc))

    def reason(self, doc) -> str:
        return (f"is {self.kind(doc)}; regate does not read it\npass `anchore-cli --json image vuln IMG all` or "
                "`anchorectl image vulnerabilities IMG -o json` output, the image or its SBOM instead")


class RegistryNearMiss:
    """Registry outputs that are close to, but not, a manifest or `skopeo inspect` output regate reads."""

    format = "registry-output"

    @staticmethod
    def kind(doc) -> tuple[str, str]:
        if not isinstance(doc, dict):
            return "", ""
        if "Repository" in doc and isinstance(doc.get("Tags"), list):
            return ("is `skopeo list-tags` output: the tags of a repository, not an image",
                    "pass `skopeo inspect docker://REPO:TAG` output (or the image) instead")
        if "Name" in doc and "Digest" in doc and ("Architecture" in doc or "RepoTags" in doc):
            return ("looks like `skopeo inspect` output, but without its Layers",
                    "pass the whole output of `skopeo inspect docker://REF` (not `--format`ted) or `--config` output")
        if doc.get("schemaVersion") == 1:
            return ("is a Docker manifest schema 1 without fsLayers and history",
                    "pass the whole manifest as the registry serves it (e.g. `skopeo inspect --raw docker://REF`)")
        return "", ""

    def detect(self, doc) -> bool:
        return bool(self.kind(doc)[0])

    def reason(self, doc) -> str:
        return "\n".join(self.kind(doc))


REJECTIONS = (AnchorePolicyBundle(), AnchorePolicyEvaluation(), AnchorePolicyPart(), AnchoreReportNotRead(),
              RegistryNearMiss(), Spdx3())
