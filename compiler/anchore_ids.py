"""Anchore's trigger ids, computed once for both ends: the importer (a whitelist item names a finding
by its trigger id) and `--format anchore` (the table's Trigger_Id column).

Anchore Engine (policy/gates/*.py) gives a vulnerability finding `<vulnerability>+<package>` and
hashes every other firing: MD5 of gate, trigger and message, concatenated.
"""

from __future__ import annotations

import hashlib

from .extract.adapters.normalize import OS_PACKAGE_TYPES

# Anchore names a non-OS package by its file for these types (gates/vulnerabilities.py), and
# otherwise as `<name>-<version>`; regate's finding holds the name Syft gives, which for these
# types is what Anchore's analyzer reads from the file.
_NAMED_BY_FILE = frozenset({"java-archive", "jenkins-plugin", "gem", "npm"})


def md5_trigger_id(gate: str, trigger: str, message: str) -> str:
    return hashlib.md5((gate + trigger + message).encode(), usedforsecurity=False).hexdigest()


def vulnerability_trigger_id(vulnerability: str, package_type: str, name: str, version: str) -> str:
    if package_type in OS_PACKAGE_TYPES or package_type in _NAMED_BY_FILE:
        return f"{vulnerability}+{name}"
    return f"{vulnerability}+{name}-{version}"


def trigger_id(gate: str, trigger: str, finding_key: str, message: str) -> str:
    """The trigger id Anchore gives the finding of an imported rule (key and message as in regate's decision)."""
    if gate == "vulnerabilities" and trigger == "package":
        vulnerability, _, package = finding_key.partition("+")
        package_type, _, name_version = package.partition(":")
        name, _, version = name_version.rpartition("@")
        if vulnerability and name:
            return vulnerability_trigger_id(vulnerability, package_type, name, version)
    if gate == "always":
        return "always"
    return md5_trigger_id(gate, trigger, message)
