"""files (content_regex_match, name_match, attribute_match, suid_or_guid_set), secret_scans,
retrieved_files and malware: triggers over the image's files and what scanners found in them."""

from __future__ import annotations

import re

from ..model import Rule
from ..params import Params, Untranslatable, anchored, message_text, string, string_list
from . import Translation, translator

# Anchore's default secret_search regexes (analyzer_config.yaml) → the kinds regate's scanner reports.
SECRET_KINDS = {"AWS_ACCESS_KEY": "aws-access-key", "AWS_SECRET_KEY": "aws-secret-key", "PRIV_KEY": "private-key",
                "DOCKER_AUTH": "docker-auth", "API_KEY": "api-key"}
# Their regex texts: Anchore matches a rule's pattern parameter against a pattern's name or its text.
PATTERN_NAMES = {
    "(?i).*aws_access_key_id( *=+ *).*(?<![A-Z0-9])[A-Z0-9]{20}(?![A-Z0-9]).*": "AWS_ACCESS_KEY",
    "(?i).*aws_secret_access_key( *=+ *).*(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=]).*": "AWS_SECRET_KEY",
    "(?i)-+BEGIN(.*)PRIVATE KEY-+": "PRIV_KEY",
    '(?i).*"auth": *".+"': "DOCKER_AUTH",
    "(?i).*api(-|_)key( *=+ *).*(?<![A-Z0-9])[A-Z0-9]{20,60}(?![A-Z0-9]).*": "API_KEY",
}


@translator("files", "content_regex_match")
def content_regex_match(rule: Rule) -> Translation:
    name = Params(rule, ("regex_name",)).text("regex_name")
    name = PATTERN_NAMES.get(name, name)
    # files[].content_matches names the content-search patterns that matched (Anchore compares the
    # parameter with a pattern's name or its regex text; the document keeps names).
    if name is None:
        return Translation(title="File content matches a content-search pattern", loop="f in files",
                           where="count(f.content_matches) > 0",
                           message="File content analyzer found regexp match in container: file={f.path} regexp={f.content_matches}")
    return Translation(title=f"File content matches {name}", loop="f in files", where=f"{string(name)} in f.content_matches",
                       message=f"File content analyzer found regexp match in container: file={{f.path}} regexp={message_text(name)}")


@translator("files", "name_match")
def name_match(rule: Rule) -> Translation:
    regex = Params(rule, ("regex",)).text("regex", required=True)
    return Translation(title="File name matches", loop="f in files", where=f"f.path matches {anchored(regex, 'regex')}",
                       message=f"Application of regex matched file found in container: file={{f.path}} regexp={message_text(regex)}",
                       anchore_message=f'"Application of regex matched file found in container: file=" + f.path + '
                                       f'{string(" regexp=" + regex)}')


@translator("files", "attribute_match")
def attribute_match(rule: Rule) -> Translation:
    p = Params(rule, ("filename", "checksum_algorithm", "checksum", "checksum_match", "mode", "mode_op", "skip_missing"))
    filename = p.text("filename", required=True)
    p.enum("checksum_algorithm", ("sha256",), default="sha256")
    checksum = p.text("checksum")
    checksum_op = p.enum("checksum_match", ("equals", "not_equals"), default="equals")
    mode = p.text("mode")
    mode_op = p.enum("mode_op", ("equals", "not_equals"), default="equals")
    skip_missing = p.boolean("skip_missing", default=True)
    file = f"files[{string(filename)}]"
    tests, shown = [], [message_text(f"filename={filename}")]
    if checksum:
        equal = f"{file}.sha256 == {string(checksum)}"
        tests.append(equal if checksum_op == "equals" else f"not ({equal})")
        shown.append(f"checksum={{{file}.sha256}} op={checksum_op} specified_checksum={message_text(checksum)}")
    if mode:
        if not re.fullmatch(r"[0-7]+", mode):
            raise Untranslatable(f"mode {mode!r} is not an octal number")
        equal = f"{file}.mode % 4096 == {int(mode, 8)}"  # stat.S_IMODE: permission bits with setuid/setgid/sticky
        tests.append(equal if mode_op == "equals" else f"not ({equal})")
        shown.append(f"mode=0o{{octal({file}.mode % 4096)}} op={mode_op} specified_mode={oct(int(mode, 8))}")
    firings = []
    if tests:
        firings.append(f"exists({file}) and " + " and ".join(tests))
    if not skip_missing:
        firings.append(f"not exists({file})")
    if not firings:
        raise Untranslatable("neither checksum nor mode is given and skip_missing is true; Anchore never fires this rule")
    # Anchore words a missing file differently; one message serves both when a rule checks both.
    message = " and ".join(shown) if tests else message_text(f"filename={filename} and skip_missing=False")
    return Translation(title=f"Attributes of {filename}", when=" or ".join(f"({f})" for f in firings), message=message)


@translator("files", "suid_or_guid_set")
def suid_or_guid_set(rule: Rule) -> Translation:
    Params(rule, ())
    # Anchore shows the whole st_mode; a regular file's type bits are 0o100000.
    return Translation(title="setuid or setgid file", loop="f in files", where="f.setuid or f.setgid",
                       message="SUID or SGID found set on file {f.path}. Mode: 0o{octal(f.mode + 32768)}",
                       anchore_message='"SUID or SGID found set on file " + f.path + ". Mode: 0o" + octal(f.mode + 32768)')


@translator("secret_scans", "content_regex_checks")
def content_regex_checks(rule: Rule) -> Translation:
    p = Params(rule, ("content_regex_name", "filename_regex", "match_type"))
    names = p.strings("content_regex_name")
    filename = p.text("filename_regex")
    match_type = p.enum("match_type", ("notfound", "found"), default="found")
    conditions = ['s.location == "file"']
    if names:
        names = [PATTERN_NAMES.get(n, n) for n in names]
        unknown = [n for n in names if n not in SECRET_KINDS]
        if unknown:
            raise Untranslatable(f"secret search pattern {', '.join(unknown)} is not one regate's secret scanner has "
                                 f"(it reports {', '.join(SECRET_KINDS)})")
        conditions.append(f"s.kind in {string_list([SECRET_KINDS[n] for n in names])}")
    if filename:
        conditions.append(f"s.path matches {anchored(filename, 'filename_regex')}")
    if match_type == "found":
        return Translation(title="Secret found", loop="s in secrets", where=" and ".join(conditions),
                           message="Secret content search analyzer found regexp match in container: file={s.path} regexp={s.kind}")
    message = (f"Secret content search analyzer did not find regexp match in container: "
               f"filename_regex={filename or '*'} content_regex_name={names or 'all'}")
    return Translation(title="Secret not found", when=f"not any(s in secrets where {' and '.join(conditions)})",
                       message=message_text(message), constant_message=message)


@translator("retrieved_files", "content_not_available")
def content_not_available(rule: Rule) -> Translation:
    path = Params(rule, ("path",)).text("path", required=True)
    message = "Cannot locate file in the image analysis"
    return Translation(title=f"Contents of {path} not available", when=f"not exists(files[{string(path)}].contents)",
                       message=message, constant_message=message)


@translator("retrieved_files", "content_regex")
def content_regex(rule: Rule) -> Translation:
    p = Params(rule, ("path", "regex", "check"))
    path = p.text("path", required=True)
    regex = p.text("regex", required=True)
    check = p.enum("check", ("match", "no_match"), required=True)
    # Anchore splits the contents at whitespace and `re.match`es each word.
    anchored(regex, "regex")  # refuses what RE2 cannot read
    word = string(f"(?:^|\\s)(?:{regex})")
    contents = f"files[{string(path)}].contents"
    test = f"{contents} matches {word}"
    message = f"Content regex '{regex}' check '{check}' found in retrieved file '{path}'"
    return Translation(title=f"Contents of {path} {check.replace('_', ' ')} {regex}",
                       when=test if check == "match" else f"exists({contents}) and not ({test})",
                       message=message_text(message), trigger_ids=(string(f"{rule.id}+file://{path}"),))


@translator("malware", "scans")
def scans(rule: Rule) -> Translation:
    Params(rule, ())
    return Translation(title="Malware found", loop="m in malware",
                       message="Malware scan finding: scanner={m.scanner} file={m.path} signature={m.signature}",
                       trigger_ids=('m.scanner + "+" + m.signature + "+" + md5(m.path)',))


@translator("malware", "scan_not_run")
def scan_not_run(rule: Rule) -> Translation:
    Params(rule, ())
    message = "No malware scans found for image"
    return Translation(title="No malware scan", when="not exists(malware)", message=message, constant_message=message)
