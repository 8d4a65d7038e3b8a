"""JSON regate recognises but will not read as image analysis, each with the reason.

Telling the user what they passed ("an Anchore policy bundle") and what to
pass instead beats a generic "unknown format".
"""

from __future__ import annotations


class AnchorePolicyBundle:
    format = "anchore-policy-bundle"

    def detect(self, doc) -> bool:
        return isinstance(doc, dict) and isinstance(doc.get("policies"), list) and ("whitelists" in doc or "mappings" in doc)

    def reason(self, doc) -> str:
        return ("is an Anchore policy bundle: a policy, not image analysis. "
                "Translate it with `regate import anchore BUNDLE.json -o DIR`")


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
        return (
            "is an Anchore policy evaluation (the verdict of a policy run), not an image analysis format. "
            "Pass the image, its SBOM or a vulnerability report instead"
        )


class Spdx3:
    format = "spdx-3"

    def detect(self, doc) -> bool:
        context = doc.get("@context") if isinstance(doc, dict) else None
        return isinstance(context, str) and "spdx.org/rdf/3" in context

    def reason(self, doc) -> str:
        return "is SPDX 3 (JSON-LD), which regate does not read yet; generate SPDX 2.3 JSON (e.g. `syft -o spdx-json@2.3`)"


REJECTIONS = (AnchorePolicyBundle(), AnchorePolicyEvaluation(), Spdx3())
