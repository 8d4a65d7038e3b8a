"""A `Bundle` → the source text of one regate policy file, with located problems for what cannot be imported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...codegen.rego import unique_identifiers
from ...diagnostics import Diagnostic, error, warning
from ...formatter import quote
from .allowlists import Exception_, exception_for
from .gates import TRANSLATORS, Translation
from .model import Bundle, ImageSelector, Policy, Rule, WhitelistItem
from .params import Untranslatable


@dataclass
class Result:
    text: str
    problems: list[Diagnostic] = field(default_factory=list)
    imported: int = 0
    left_out: int = 0


def _name(text: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9_]+", "_", text).strip("_").lower() or "rule"
    return cleaned if not cleaned[0].isdigit() else f"r_{cleaned}"


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())


@dataclass
class _Imported:
    """A rule that was translated, with the name it has in the output."""

    policy: Policy
    rule: Rule
    name: str
    translation: Translation


def translate_bundle(bundle: Bundle, sources: list[str], allow_partial: bool) -> Result:
    result = Result("")
    report = warning if allow_partial else error
    policy_names = _unique_titles([(p.id, p.name) for p in bundle.policies])
    whitelist_names = _unique_titles([(w.id, w.name) for w in bundle.whitelists])
    lines = [f"# Imported by `regate import anchore` from {', '.join(sources)}: Anchore policy bundle {bundle.name!r}.",
             "# Each rule names the Anchore rule it translates; docs/anchore.md says where the meaning differs."]
    imported = _policies(bundle, policy_names, result, report, lines)
    for whitelist in bundle.whitelists:
        lines += ["", f"allowlist {quote(whitelist_names[whitelist.id])} {{"]
        # A whitelist applies to the policies its mappings evaluate (all of them without mappings).
        mapped = [m.policy_ids for m in bundle.mappings if whitelist.id in m.whitelist_ids]
        scope = [i for i in imported if not bundle.mappings or any(i.policy.id in ids for ids in mapped)]
        for item in whitelist.items:
            lines += _allows(item, scope, result, report)
        lines.append("}")
    lines += _mappings(bundle, policy_names, whitelist_names, result, report)
    result.text = "\n".join(lines) + "\n"
    return result


def _policies(bundle: Bundle, policy_names: dict, result: Result, report, lines: list[str]) -> list[_Imported]:
    rules = [(policy, rule) for policy in bundle.policies for rule in policy.rules]
    # Rule names are unique across the bundle, so an allowlist's `allow <rule>` names one rule.
    names = unique_identifiers([((policy.id, rule.id), _name(f"{rule.gate}_{rule.trigger}")) for policy, rule in rules])
    imported = []
    for policy in bundle.policies:
        lines += ["", f"policy {quote(policy_names[policy.id])} {{"]
        if policy.comment:
            lines.append(f"title {quote(policy.comment)}")
        for rule in policy.rules:
            try:
                translation = _translate(rule)
            except Untranslatable as why:
                result.problems.append(report("I101", rule.span, f"rule {rule.id} ({rule.written_gate}/{rule.written_trigger}) "
                                              f"cannot be imported: {why}"))
                result.left_out += 1
                lines += ["", _comment(f"LEFT OUT: Anchore rule {rule.id} {rule.gate}/{rule.trigger} {rule.action} "
                                       f"{_params(rule)}: {why}")]
                continue
            imported.append(_Imported(policy, rule, names[(policy.id, rule.id)], translation))
            result.imported += 1
            lines += ["", _comment(f"Anchore rule {rule.id}: {rule.gate}/{rule.trigger} {rule.action} {_params(rule)}"),
                      *_rule_text(names[(policy.id, rule.id)], rule, translation)]
        lines.append("}")
    return imported


def _allows(item: WhitelistItem, scope: list[_Imported], result: Result, report) -> list[str]:
    exceptions, unknown = [], []
    for i in scope:
        try:
            found = exception_for(item, i.rule, i.name, i.translation)
        except Untranslatable as why:
            unknown.append(why)
            continue
        exceptions += [found] if found is not None else []
    # An MD5 id one rule's constant message produces names that finding: no other rule's can be it.
    if unknown and not any(e.where is None and e.identified for e in exceptions):
        result.problems.append(report("I102", item.span, str(unknown[0])))
        return [_comment(f"LEFT OUT: whitelist item {item.id} {item.gate} {item.trigger_id}: {unknown[0]}")]
    lines = [_comment(f"whitelist item {item.id}: {item.gate} {item.trigger_id}"
                      + (f" expires {item.expires_on}" if item.expires_on else ""))]
    if not exceptions:
        lines.append(_comment("  no imported rule of this gate can produce that trigger id"))
    return lines + [_allow_text(e, item.expires_on, f"Anchore whitelist item {item.id}") for e in exceptions]


def _translate(rule: Rule) -> Translation:
    translator = TRANSLATORS.get((rule.gate, rule.trigger))
    if translator is None:
        known = sorted({g for g, _ in TRANSLATORS})
        if rule.gate not in known:
            raise Untranslatable(f"Anchore Engine has no gate {rule.written_gate!r} (gates: {', '.join(known)})")
        triggers = sorted(t for g, t in TRANSLATORS if g == rule.gate)
        raise Untranslatable(f"gate {rule.gate} has no trigger {rule.written_trigger!r} (triggers: {', '.join(triggers)})")
    return translator(rule)


def _params(rule: Rule) -> str:
    return " ".join(f"{p.name}={p.value}" for p in rule.params)


def _rule_text(name: str, rule: Rule, t: Translation) -> list[str]:
    body = [f"rule {name} {rule.action.lower()} {{", f"title {quote(t.title)}",
            f"origin {quote(f'anchore:{rule.gate}:{rule.trigger}:{rule.id}')}"]
    if t.when:
        body.append(f"when {t.when}")
    if t.loop:
        body.append(f"for {t.loop}" + (f" where {t.where}" if t.where else ""))
    body += [f"message {quote(t.message)}", "}"]
    return body


def _allow_text(exception: Exception_, until: str | None, reason: str) -> str:
    text = f"allow {exception.rule}"
    if exception.where:
        text += f" where {exception.where}"
    if until:
        text += f" until {until}"
    return text + f" because {quote(reason)}"


def _unique_titles(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Anchore names need not be unique, ids are: a name given twice is followed by its id."""
    counts: dict[str, int] = {}
    for _, name in pairs:
        counts[name] = counts.get(name, 0) + 1
    return {key: name if counts[name] == 1 else f"{name} ({key})" for key, name in pairs}


def _mappings(bundle: Bundle, policy_names: dict, whitelist_names: dict, result: Result, report) -> list[str]:
    lines: list[str] = []
    mapping_names = _unique_titles([(m.id, m.name) for m in bundle.mappings])
    for mapping in bundle.mappings:
        try:
            images = image_patterns(mapping.selector)
            policies = [_known(policy_names, p, "policy") for p in mapping.policy_ids]
            allowlists = [_known(whitelist_names, w, "whitelist") for w in mapping.whitelist_ids]
        except Untranslatable as why:
            result.problems.append(report("I103", mapping.span, f"mapping {mapping.name!r}: {why}"))
            lines += ["", _comment(f"LEFT OUT: mapping {mapping.id} {mapping.name!r}: {why}")]
            continue
        if not policies:
            result.problems.append(report("I103", mapping.span, f"mapping {mapping.name!r} names no policy"))
            continue
        lines += ["", f"mapping {quote(mapping_names[mapping.id])} {{", _comment(f"Anchore mapping {mapping.id}"),
                  "images " + ", ".join(quote(i) for i in images),
                  "policies " + ", ".join(quote(p) for p in policies)]
        if allowlists:
            lines.append("allowlists " + ", ".join(quote(a) for a in allowlists))
        lines.append("}")
    for verdict, entries in (("allow", bundle.whitelisted_images), ("deny", bundle.blacklisted_images)):
        for entry in entries:
            try:
                images = image_patterns(entry.selector)
            except Untranslatable as why:
                result.problems.append(report("I103", entry.span, f"image list entry {entry.name!r}: {why}"))
                continue
            reason = f"Anchore {'whitelisted' if verdict == 'allow' else 'blacklisted'}_images {entry.name}"
            lines += ["", f"{verdict} image " + ", ".join(quote(i) for i in images) + f" because {quote(reason)}"]
    if bundle.mappings:
        lines += ["", "unmatched go  # Anchore evaluates an image no mapping matches to GO"]
    return lines


def _known(names: dict, key: str, kind: str) -> str:
    if key not in names:
        raise Untranslatable(f"it names {kind} {key!r}, which no file given defines")
    return names[key]


def image_patterns(selector: ImageSelector) -> list[str]:
    """Anchore's registry/repository/image selector as regate image globs (`*` spans `/` in both)."""
    parts = (selector.registry, selector.repository, selector.image_value)
    if any(p.strip().startswith("regexp:") for p in parts):
        raise Untranslatable("regexp: selectors have no glob equivalent; write the images as `*` patterns")
    registry, repository, value = parts
    if selector.image_type == "id":
        return [value if value.startswith("sha256:") or value == "*" else f"sha256:{value}"]
    if parts == ("*", "*", "*") and selector.image_type == "tag":
        return ["*"]
    separator = ":" if selector.image_type == "tag" else "@"
    repositories = [repository]
    if registry == "docker.io" and "/" not in repository and "*" not in repository:
        repositories.append(f"library/{repository}")  # Docker Hub's official images, as references name them
    return [f"{registry}/{r}{separator}{value}" for r in repositories]
