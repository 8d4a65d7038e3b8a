"""passwd_file: /etc/passwd entries (gates/passwd_file.py), read from `users`."""

from __future__ import annotations

from ..model import Rule
from ..params import Params, string, string_list
from . import Translation, translator


@translator("passwd_file", "content_not_available")
def content_not_available(rule: Rule) -> Translation:
    Params(rule, ())
    message = "Cannot locate /etc/passwd in image stored files archive: check analyzer settings."
    return Translation(title="/etc/passwd not available", when="count(users) == 0", message=message, constant_message=message)


def _denied(rule: Rule, param: str, field: str, what: str, numbers: bool = False) -> Translation:
    p = Params(rule, (param,))
    values = p.integers(param, required=True) if numbers else p.strings(param, required=True)
    message = f"Blacklisted {what} '{{u.{field}}}' found in image's /etc/passwd: pentry={{u.entry}}"
    # Anchore writes the entry's text; a uid or gid is a number in the document, not text.
    anchore = None if numbers else f"\"Blacklisted {what} '\" + u.{field} + \"' found in image's /etc/passwd: pentry=\" + u.entry"
    return Translation(title=f"Denied {what} in /etc/passwd", loop="u in users", where=f"u.{field} in {string_list(values)}",
                       message=message, anchore_message=anchore)


@translator("passwd_file", "blacklist_usernames")
def usernames(rule: Rule) -> Translation:
    return _denied(rule, "user_names", "name", "user")


@translator("passwd_file", "blacklist_userids")
def userids(rule: Rule) -> Translation:
    return _denied(rule, "user_ids", "uid", "uid", numbers=True)


@translator("passwd_file", "blacklist_groupids")
def groupids(rule: Rule) -> Translation:
    return _denied(rule, "group_ids", "gid", "gid", numbers=True)


@translator("passwd_file", "blacklist_shells")
def shells(rule: Rule) -> Translation:
    return _denied(rule, "shells", "shell", "shell")


@translator("passwd_file", "blacklist_full_entry")
def full_entry(rule: Rule) -> Translation:
    entry = Params(rule, ("entry",)).text("entry", required=True).strip()
    return Translation(title="Denied /etc/passwd entry", loop="u in users", where=f"u.entry == {string(entry)}",
                       message="Blacklisted pentry '{u.entry}' found in image's /etc/passwd: pentry={u.entry}",
                       anchore_message="\"Blacklisted pentry '\" + u.entry + \"' found in image's /etc/passwd: pentry=\" + u.entry")
