"""Old names still found in bundles, rewritten to the current gate, trigger and parameters.

Anchore Engine 0.2 renamed the gates of the 0.1 policy format (ANCHORESEC, DOCKERFILECHECK, ...) and
later refused them as end-of-life; Anchore Enterprise renamed black/white lists to deny/allow lists.
A rule in old terms means what its current equivalent means, so it is imported as that.
"""

from __future__ import annotations

import dataclasses

from .model import Param, Rule

# Enterprise wording → the engine's trigger names.
TRIGGER_ALIASES = {
    ("passwd_file", "denylist_usernames"): "blacklist_usernames",
    ("passwd_file", "denylist_userids"): "blacklist_userids",
    ("passwd_file", "denylist_groupids"): "blacklist_groupids",
    ("passwd_file", "denylist_shells"): "blacklist_shells",
    ("passwd_file", "denylist_full_entry"): "blacklist_full_entry",
    ("packages", "denylist"): "blacklist",
    ("vulnerabilities", "denylist"): "blacklist",
    ("licenses", "denylist_exact_match"): "blacklist_exact_match",
    ("licenses", "denylist_partial_match"): "blacklist_partial_match",
    ("npms", "denylisted_name_version"): "blacklisted_name_version",
    ("ruby_gems", "denylist"): "blacklist",
    ("ruby_gems", "denylisted_name_version"): "blacklist",
    ("passwd_file", "shellmatch"): "blacklist_shells",
}
# Parameter names Anchore accepts as aliases.
PARAM_ALIASES = {"usernameblacklist": "user_names", "useridblacklist": "user_ids"}
# The `type` values of effective_user and exposed_ports.
TYPE_ALIASES = {"allowlist": "whitelist", "denylist": "blacklist"}

_SEVERITY_TRIGGERS = {"vulnlow": "low", "vulnmedium": "medium", "vulnhigh": "high", "vulncritical": "critical",
                      "vulnunknown": "unknown"}


def modernise(rule: Rule) -> Rule:
    gate, trigger = rule.gate, rule.trigger
    params = {p.name: p.value for p in rule.params}
    params = {PARAM_ALIASES.get(k, k): v for k, v in params.items()}
    if "type" in params:
        params["type"] = TYPE_ALIASES.get(params["type"].lower(), params["type"])
    trigger = TRIGGER_ALIASES.get((gate, trigger), trigger)
    if gate == "anchoresec":
        gate, trigger, params = _anchoresec(trigger, params)
    elif gate == "dockerfilecheck":
        gate, trigger, params = _dockerfilecheck(trigger, params)
    return dataclasses.replace(rule, gate=gate, trigger=trigger, params=tuple(Param(k, v) for k, v in params.items()))


def _anchoresec(trigger: str, params: dict) -> tuple[str, str, dict]:
    if trigger in _SEVERITY_TRIGGERS:
        kept = {k: v for k, v in params.items() if k in ("fix_available", "vendor_only")}
        return "vulnerabilities", "package", {"package_type": "all", "severity_comparison": "=",
                                              "severity": _SEVERITY_TRIGGERS[trigger], **kept}
    if trigger == "feedoutofdate":
        return "vulnerabilities", "stale_feed_data", {"max_days_since_sync": params.get("maxage", "")}
    if trigger == "unsupporteddistro":
        return "vulnerabilities", "vulnerability_data_unavailable", {}
    return "anchoresec", trigger, params


def _dockerfilecheck(trigger: str, params: dict) -> tuple[str, str, dict]:
    if trigger == "nohealthcheck":
        return "dockerfile", "instruction", {"instruction": "HEALTHCHECK", "check": "not_exists"}
    if trigger == "nodockerfile":
        return "dockerfile", "no_dockerfile_provided", {}
    if trigger == "directivecheck":
        return "dockerfile", "instruction", {"instruction": params.get("directives", ""), "check": params.get("check", ""),
                                             **({"value": params["check_value"]} if "check_value" in params else {})}
    if trigger == "expose" and ("allowedports" in params) != ("deniedports" in params):
        kind = "whitelist" if "allowedports" in params else "blacklist"
        return "dockerfile", "exposed_ports", {"ports": params.get("allowedports") or params.get("deniedports"), "type": kind}
    if trigger == "effectiveuser" and ("allowed" in params) != ("denied" in params):
        kind = "whitelist" if "allowed" in params else "blacklist"
        return "dockerfile", "effective_user", {"users": params.get("allowed") or params.get("denied"), "type": kind}
    return "dockerfilecheck", trigger, params
