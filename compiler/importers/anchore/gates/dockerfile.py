"""dockerfile: instruction, effective_user, exposed_ports, no_dockerfile_provided (gates/dockerfile.py)."""

from __future__ import annotations

from ..model import Rule
from ..params import Params, Untranslatable, anchored, message_text, string, string_list
from . import Translation, translator

DIRECTIVES = ("ADD", "ARG", "COPY", "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
              "MAINTAINER", "ONBUILD", "USER", "RUN", "SHELL", "STOPSIGNAL", "VOLUME", "WORKDIR")
CONDITIONS = ("=", "!=", "exists", "not_exists", "like", "not_like", "in", "not_in")
# Anchore evaluates these triggers only when it has a Dockerfile (actual or guessed) with instructions.
HAS_DOCKERFILE = "count(image.dockerfile.instructions) > 0"
ACTUAL = 'image.dockerfile.mode == "actual"'


def _dockerfile_guard(p: Params) -> str:
    return f"{HAS_DOCKERFILE} and {ACTUAL}" if p.boolean("actual_dockerfile_only", default=False) else HAS_DOCKERFILE


def _value_test(check: str, value: str) -> str:
    if check == "=":
        return f"i.value == {string(value)}"
    if check == "!=":
        return f"i.value != {string(value)}"
    if check in ("like", "not_like"):
        test = f"i.value matches {anchored(value, 'value')}"
        return test if check == "like" else f"not ({test})"
    listed = f"i.value in {string_list([v.strip() for v in value.split(',')])}"
    return listed if check == "in" else f"not ({listed})"


@translator("dockerfile", "instruction")
def instruction(rule: Rule) -> Translation:
    p = Params(rule, ("instruction", "check", "value", "actual_dockerfile_only"))
    directive = p.enum("instruction", DIRECTIVES, required=True)
    check = p.enum("check", CONDITIONS, required=True)
    value = p.values.get("value")  # "" is a value here: Anchore skips the rule only without one
    if value is not None:
        p.text("value")  # refuses a value that is not a string
    guard = _dockerfile_guard(p)
    if check == "not_exists":
        message = f"Dockerfile directive '{directive}' not found, matching condition 'not_exists' check"
        return Translation(
            title=f"Dockerfile has no {directive}", message=message_text(message), constant_message=message,
            when=f"{guard} and not any(i in image.dockerfile.instructions where i.instruction == {string(directive)})")
    conditions = [f"i.instruction == {string(directive)}"]
    if check != "exists":
        if value is None:  # Anchore skips the rule
            raise Untranslatable(f"check '{check}' needs a value to compare with; Anchore never fires this rule")
        conditions.append(_value_test(check, value))
    head = f"Dockerfile directive '{directive}' check '{check}' matched against '{value or ''}' for line '"
    return Translation(
        title=f"Dockerfile {directive} {check} {value if check != 'exists' else ''}".strip(),
        when=guard, loop="i in image.dockerfile.instructions", where=" and ".join(conditions),
        message=message_text(head) + "{i.value}'", anchore_message=f"{string(head)} + i.value + \"'\"")


def _list_type(p: Params) -> bool:
    """True for an allowlist."""
    return p.enum("type", ("whitelist", "blacklist"), required=True) == "whitelist"


@translator("dockerfile", "effective_user")
def effective_user(rule: Rule) -> Translation:
    p = Params(rule, ("users", "type"))
    users = string_list(p.strings("users", required=True))
    # The user of the image's config is the last USER of the Dockerfile that built it (root without one).
    if _list_type(p):
        # Anchore reads the user only from a Dockerfile; without an image config there is none to judge.
        return Translation(title="Effective user not allowed",
                           when=f"exists(image.effective_user) and not (image.effective_user in {users})",
                           message="User {image.effective_user} found as effective user, which is not on the allowed list",
                           anchore_message='"User " + image.effective_user + " found as effective user, which is not on the allowed list"')
    return Translation(title="Effective user denied", when=f"image.effective_user in {users}",
                       message="User {image.effective_user} found as effective user, which is explicity not allowed",
                       anchore_message='"User " + image.effective_user + " found as effective user, which is explicity not allowed"')


@translator("dockerfile", "exposed_ports")
def exposed_ports(rule: Rule) -> Translation:
    p = Params(rule, ("ports", "type", "actual_dockerfile_only"))
    ports = string_list(p.integers("ports", required=True))
    when = ACTUAL if p.boolean("actual_dockerfile_only", default=False) else None
    # The image config's exposed ports are what the final stage's EXPOSE lines declared; a port
    # matches whatever its protocol, as Anchore checks `p`, `p/tcp` and `p/udp`.
    allowed = _list_type(p)
    tail = " which is not in policy file ALLOWEDPORTS list" if allowed else " which is in policy file DENIEDPORTS list"
    # Anchore's message, so its MD5 trigger id, has the port as the EXPOSE line wrote it: `22` or `22/tcp`.
    head = string("dockerfile" + "exposed_ports" + "Dockerfile exposes port (")
    ids = tuple(f"md5({head} + {port} + {string(')' + tail)})" for port in ("string(p.port)", "p.spec"))
    return Translation(title="Exposed port not allowed" if allowed else "Exposed port denied", when=when,
                       loop="p in image.exposed_ports", where=f"not (p.port in {ports})" if allowed else f"p.port in {ports}",
                       message="Dockerfile exposes port ({p.port})" + tail, trigger_ids=ids)


@translator("dockerfile", "no_dockerfile_provided")
def no_dockerfile_provided(rule: Rule) -> Translation:
    Params(rule, ())
    message = "Image was not analyzed with an actual Dockerfile"
    return Translation(title="No Dockerfile provided", when=f"not ({ACTUAL})", message=message, constant_message=message)
