"""What a policy change does to an inventory: each image's decision under the
base and the head policy, compared (`regate diff`).

A finding is the same finding in both decisions when its policy, rule and key
are the same; it *appears* when only the head has it, *disappears* when only
the base has it, and *changes* when both have it with another effective
action (an exception added or expired, a rule's action edited). A verdict gets
worse when the head's final action ranks above the base's (GO → WARN/STOP,
WARN → STOP).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .engine.actions import ACTIONS, rank
from .report import Result


@dataclass(frozen=True)
class FindingChange:
    policy: str
    rule: str
    key: str | int
    message: str
    # The effective action in the base and in the head; None where the finding is absent.
    base: str | None
    head: str | None

    @property
    def kind(self) -> str:
        return "appeared" if self.base is None else "disappeared" if self.head is None else "changed"

    def as_json(self) -> dict:
        return {"policy": self.policy, "rule": self.rule, "key": self.key, "message": self.message,
                "change": self.kind, "base": self.base, "head": self.head}


@dataclass(frozen=True)
class ImageImpact:
    subject: str
    image: str
    base: str  # final actions
    head: str
    findings: tuple[FindingChange, ...] = ()

    @property
    def verdict(self) -> str:
        """"worse", "better" or "same"."""
        step = rank(self.head) - rank(self.base)
        return "worse" if step > 0 else "better" if step < 0 else "same"

    def as_json(self) -> dict:
        return {"subject": self.subject, "image": self.image, "base": self.base, "head": self.head,
                "verdict": self.verdict, "findings": [f.as_json() for f in self.findings]}


@dataclass(frozen=True)
class RuleImpact:
    policy: str
    rule: str
    appeared: int = 0
    disappeared: int = 0
    changed: int = 0
    images: int = 0

    def as_json(self) -> dict:
        return {"policy": self.policy, "rule": self.rule, "appeared": self.appeared, "disappeared": self.disappeared,
                "changed": self.changed, "images": self.images}


@dataclass(frozen=True)
class Impact:
    base_revision: str
    head_revision: str
    images: int
    # Only the images whose final action or findings differ, in input order.
    changed: tuple[ImageImpact, ...]
    # Final actions over every image: {"base": {"STOP": n, ...}, "head": {...}}.
    actions: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def worse(self) -> list[ImageImpact]:
        return [i for i in self.changed if i.verdict == "worse"]

    @property
    def better(self) -> list[ImageImpact]:
        return [i for i in self.changed if i.verdict == "better"]

    def rules(self) -> list[RuleImpact]:
        """Per rule, how many findings appear, disappear and change, and on how many images; by policy and rule."""
        counts: dict[tuple[str, str], Counter] = {}
        for image in self.changed:
            touched = set()
            for finding in image.findings:
                name = (finding.policy, finding.rule)
                counts.setdefault(name, Counter())[finding.kind] += 1
                touched.add(name)
            for name in touched:
                counts[name]["images"] += 1
        return [RuleImpact(policy, rule, c["appeared"], c["disappeared"], c["changed"], c["images"])
                for (policy, rule), c in sorted(counts.items())]

    def totals(self) -> Counter:
        return Counter(f.kind for image in self.changed for f in image.findings)

    def as_json(self) -> dict:
        totals = self.totals()
        return {
            "report_version": 1,
            "base": {"revision": self.base_revision, "final_actions": self.actions["base"]},
            "head": {"revision": self.head_revision, "final_actions": self.actions["head"]},
            "summary": {"images": self.images, "images_changed": len(self.changed), "worse": len(self.worse),
                        "better": len(self.better), "findings_appeared": totals["appeared"],
                        "findings_disappeared": totals["disappeared"], "findings_changed": totals["changed"]},
            "rules": [r.as_json() for r in self.rules()],
            "images": [i.as_json() for i in self.changed],
        }


def _findings(result: Result) -> dict[tuple, dict]:
    return {(f["policy"], f["rule"], f["key"]): f for f in result.decision["findings"]}


def compare_image(base: Result, head: Result) -> ImageImpact:
    before, after = _findings(base), _findings(head)
    changes = []
    for name in sorted(before.keys() | after.keys(), key=lambda n: (n[0], n[1], str(n[2]))):
        old, new = before.get(name), after.get(name)
        old_action = old["effective_action"] if old else None
        new_action = new["effective_action"] if new else None
        if old_action != new_action:
            changes.append(FindingChange(*name, (new or old)["message"], old_action, new_action))
    return ImageImpact(head.subject, head.image, base.decision["final_action"], head.decision["final_action"],
                       tuple(changes))


def compare(pairs: list[tuple[Result, Result]], base_revision: str, head_revision: str) -> Impact:
    """The impact of the head policy over (base result, head result) per image, in input order."""
    images = [compare_image(base, head) for base, head in pairs]
    actions = {side: {action: 0 for action in reversed(ACTIONS)} for side in ("base", "head")}
    for image in images:
        actions["base"][image.base] += 1
        actions["head"][image.head] += 1
    changed = tuple(i for i in images if i.findings or i.base != i.head)
    return Impact(base_revision, head_revision, len(images), changed, actions)
