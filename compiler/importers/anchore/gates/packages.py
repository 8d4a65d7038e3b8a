"""packages (required_package, verify, blacklist), licenses, and the name/version denylists of
npms and ruby_gems (gates/packages.py, licenses.py, npms.py, gems.py)."""

from __future__ import annotations

from ....extract.adapters.licenses import normalize_license
from ..model import Rule
from ..params import Params, message_text, string, string_list
from . import Translation, translator


@translator("packages", "required_package")
def required_package(rule: Rule) -> Translation:
    p = Params(rule, ("name", "version", "version_match_type"))
    name = p.text("name", required=True)
    version = p.text("version")
    match = p.enum("version_match_type", ("exact", "minimum"), default="exact")
    if version is None:
        message = f"Required input package ({name}) is not present in container image"
        return Translation(title=f"Required package {name}", when=f"not any(p in packages where p.name == {string(name)})",
                           message=message_text(message), constant_message=message)
    # Anchore checks the first package of the name; one that is present at the version (or above
    # a minimum) satisfies the rule here, whichever other versions are installed too.
    op = "==" if match == "exact" else ">="
    wanted = "at" if match == "exact" else "at or above"
    message = f"Required input package ({name},{version}) is not present in container image {wanted} version {version}"
    return Translation(
        title=f"Required package {name} {version}",
        when=f"not any(p in packages where p.name == {string(name)} and p.version {op} {string(version)})",
        message=message_text(message))


@translator("packages", "blacklist")
def blacklist(rule: Rule) -> Translation:
    p = Params(rule, ("name", "version"))
    return _denied(p, None, "Package is blacklisted: ")


def _denied(p: Params, package_type: str | None, prefix: str) -> Translation:
    name = p.text("name", required=True)
    version = p.text("version")
    conditions = [f"p.name == {string(name)}"]
    if package_type:
        conditions.insert(0, f"p.type == {string(package_type)}")
    if version:
        conditions.append(f"p.version == {string(version)}")
    shown = "{p.name}-{p.version}" if version else "{p.name}"
    text = ' + "-" + p.version' if version else ""
    return Translation(title=f"Denied package {name} {version or ''}".strip(), loop="p in packages",
                       where=" and ".join(conditions), message=message_text(prefix) + shown,
                       anchore_message=f"{string(prefix)} + p.name{text}")


@translator("npms", "blacklisted_name_version")
def npm_blacklist(rule: Rule) -> Translation:
    return _denied(Params(rule, ("name", "version")), "npm", "NPM Package is blacklisted: ")


@translator("ruby_gems", "blacklist")
def gem_blacklist(rule: Rule) -> Translation:
    return _denied(Params(rule, ("name", "version")), "gem", "Gem Package is blacklisted: ")


@translator("packages", "verify")
def verify(rule: Rule) -> Translation:
    p = Params(rule, ("only_packages", "only_directories", "check"))
    names = p.strings("only_packages")
    directories = p.strings("only_directories")
    check = p.enum("check", ("changed", "missing"))
    file_tests = []
    if check:
        file_tests.append(f"x.problem == {string(check)}")
    else:
        file_tests.append("exists(x.problem)")
    if directories:
        file_tests.append("(" + " or ".join(f"startswith(x.path, {string(d)})" for d in directories) + ")")
    conditions = [f"any(x in p.verify where {' and '.join(file_tests)})"]
    if names:
        conditions.insert(0, f"p.name in {string_list(names)}")
    # Anchore fires once per file; the finding here is the package, its files counted.
    return Translation(title="Package files differ from the package database", loop="p in packages",
                       where=" and ".join(conditions),
                       message=f"VERIFY check against package db for package '{{p.name}}' failed on "
                               f"{{count(x in p.verify where {' and '.join(file_tests)})}} file(s)")


def _licenses(names: list[str]) -> list[str]:
    """The bundle's names and the SPDX ids the extractor gives packages for them."""
    out: list[str] = []
    for name in names:
        for value in (name, *normalize_license(name)):
            if value not in out:
                out.append(value)
    return out


@translator("licenses", "blacklist_exact_match")
def exact(rule: Rule) -> Translation:
    names = Params(rule, ("licenses",)).strings("licenses", required=True)
    test = f"any(l in p.licenses where l in {string_list(_licenses(names))})"
    return _license_rule("LICFULLMATCH", test, names)


@translator("licenses", "blacklist_partial_match")
def partial(rule: Rule) -> Translation:
    names = Params(rule, ("licenses",)).strings("licenses", required=True)
    test = "any(l in p.licenses where " + " or ".join(f"contains(l, {string(n)})" for n in names) + ")"
    return _license_rule("LICSUBMATCH", test, names)


def _license_rule(code: str, test: str, names: list[str]) -> Translation:
    # One finding for the image, as Anchore lists every matching package in one firing.
    return Translation(title="Denied license", when=f"any(p in packages where {test})",
                       message=f"{code} Packages are installed that have blacklisted licenses: "
                               f"{{count(p in packages where {test})}} package(s) under {message_text(', '.join(names))}")
