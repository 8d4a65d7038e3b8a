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

# Retired triggers that are their successors under other names: (gate, trigger) → (gate, trigger, {param renames}).
RENAMED = {
    ("fileparse_passwd", "filenotstored"): ("passwd_file", "content_not_available", {}),
    ("fileparse_passwd", "usernamematch"): ("passwd_file", "blacklist_usernames", {"usernameblacklist": "user_names"}),
    ("fileparse_passwd", "useridmatch"): ("passwd_file", "blacklist_userids", {"useridblacklist": "user_ids"}),
    ("fileparse_passwd", "groupidmatch"): ("passwd_file", "blacklist_groupids", {"groupidblacklist": "group_ids"}),
    ("fileparse_passwd", "shellmatch"): ("passwd_file", "blacklist_shells", {"shellblacklist": "shells"}),
    ("licblacklist", "licfullmatch"): ("licenses", "blacklist_exact_match", {"licblacklist_fullmatch": "licenses"}),
    ("licblacklist", "licsubmatch"): ("licenses", "blacklist_partial_match", {"licblacklist_submatch": "licenses"}),
    ("filecheck", "suidsgidcheck"): ("files", "suid_or_guid_set", {}),
    ("metadatacheck", "attributecheck"): ("metadata", "attribute", {"attributes": "attribute", "check_value": "value"}),
}

# The gates retired gates became, for whitelist items written against them.
SUCCESSORS = {"anchoresec": "vulnerabilities", "dockerfilecheck": "dockerfile", "pkgblacklist": "packages",
              "licblacklist": "licenses", "filecheck": "files", "fileparse_passwd": "passwd_file",
              "metadatacheck": "metadata", "secretcheck": "secret_scans", "npmcheck": "npms", "gemcheck": "ruby_gems"}

_SEVERITY_TRIGGERS = {"vulnlow": "low", "vulnmedium": "medium", "vulnhigh": "high", "vulncritical": "critical",
                      "vulnunknown": "unknown"}


def modernise(rule: Rule) -> Rule:
    gate, trigger = rule.gate, rule.trigger
    params = {p.name: p.value for p in rule.params}
    params = {PARAM_ALIASES.get(k, k): v for k, v in params.items()}
    if "type" in params:
        params["type"] = TYPE_ALIASES.get(params["type"].lower(), params["type"])
    trigger = TRIGGER_ALIASES.get((gate, trigger), trigger)
    if (gate, trigger) in RENAMED:
        gate, trigger, names = RENAMED[(gate, trigger)]
        params = {names.get(k, k): v for k, v in params.items()}
    elif gate == "anchoresec":
        gate, trigger, params = _anchoresec(trigger, params)
    elif gate == "dockerfilecheck":
        gate, trigger, params = _dockerfilecheck(trigger, params)
    elif gate == "pkgblacklist":
        gate, trigger, params = _pkgblacklist(trigger, params)
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


def _pkgblacklist(trigger: str, params: dict) -> tuple[str, str, dict]:
    """One name (pkgnamematch) or one name|version pair (pkgfullmatch) is one packages/blacklist rule."""
    if trigger == "pkgnamematch" and set(params) == {"blacklist_namematch"} and "," not in params["blacklist_namematch"]:
        return "packages", "blacklist", {"name": params["blacklist_namematch"].strip()}
    if trigger == "pkgfullmatch" and set(params) == {"blacklist_fullmatch"}:
        pair = params["blacklist_fullmatch"]
        if isinstance(pair, str) and "," not in pair and pair.count("|") == 1:
            name, version = (part.strip() for part in pair.split("|"))
            return "packages", "blacklist", {"name": name, "version": version}
    return "pkgblacklist", trigger, params
