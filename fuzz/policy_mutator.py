"""Mutations of policy source: token-level edits, splices from other seeds,
grammar-aware replacements and hostile literals.

Every mutation is a function (rng, tokens, donors) -> tokens over a list of
lexical tokens (whitespace kept as tokens, so joining them gives the source
back); `mutate` stacks one to four of them.
"""

from __future__ import annotations

import random
import re

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|\d[\w.]*|[A-Za-z_]\w*|\s+|#[^\n]*|.', re.S)

KEYWORDS = ("policy", "rule", "list", "allow", "for", "in", "where", "and", "or", "not", "message", "until",
            "because", "import", "from", "stop", "warn", "go", "matches", "count", "true", "false", "null",
            "critical", "high", "medium", "low", "negligible", "unknown", "param", "key", "template", "when",
            "description", "title", "severity", "remediation", "link", "allowlist", "mapping", "images", "policies",
            "allowlists", "image", "deny", "glob", "count", "any", "all", "origin", "md5", "new", "exists",
            "days_since", "bits_set", "octal", "lower", "upper", "startswith", "endswith", "contains")
FIELDS = ("vulnerabilities", "packages", "files", "secrets", "users", "image", "changes", "misconfigurations",
          "licenses", "sources", "v.id", "v.severity", "v.fix.available", "v.package.name", "p.name", "p.version",
          "f.path", "f.mode", "f.content", "u.uid", "image.user", "image.env", "image.exposed_ports",
          "image.layers", "image.labels", "image.history", "image.distro.version", "p.licenses", "s.kind",
          "drift", "d.op", "d.collection", "d.element", "d.before", "d.after", "baseline", "v.key", "p.key")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "|", "&", "(", ")", "[", "]", "{", "}",
             ",", ".", ":", "=", "..", "!", "?", "@", "$", "\\")

# Literals that broke regate before or are likely to: huge and odd numbers,
# sizes, dates, escapes of surrogates and NULs, and raw characters that
# editors and lexers disagree about (BOM, line separators, control chars).
NUMBERS = ("0", "-0", "1e999", "1.0e-999", "9" * 5000, "9" * 400 + ".0", "0o" + "7" * 5000, "0x" + "f" * 300,
           "0b" + "1" * 3000, "9" * 400 + ".0TB", "99999999999999999999MB", "1e308", "18446744073709551616",
           "-9223372036854775809", "0.0000001", "1_000", "00012", "2026-02-30", "9999-12-31", "0000-01-01",
           "2027-03-01T00:00:00Z", "1.5GB", "0KB")
STRINGS = ('"\\uD800"', '"\\uDFFF\\uD800"', '"a\\u0000b"', '"\\u0000"', '"\ufeff"', '"\u2028"', '"\x0c"',
           '"\x85"', '"\x7f\x80\x9f"', '"\ufffe\uffff"', '"\\"', '"\\x41"', '"\\u12"', '"{}"', '"{v.id"',
           '"{v.}"', '"{{}}"', '"(?P<x>a)"', '"[" ', '"(a|"', '"\\\\"', '"%s%d%v"', '"\U0001F600"',
           '"/dev/zero"', '"/etc/passwd"', '"lists/../../../etc/passwd"', '"."', '""', '"*"',
           '"a' + "b" * 20000 + '"', '"\\n\\t\\r"', '"\u202e"', '"\u0301"', '"ﬁ"', '"İ"', '"\udcff"')
RAW = ("\ufeff", "\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\r", "\r\n", "\x00", "\x1b[31m", "\t", "\x7f",
       "\u00a0", "\u200b", "\ud800", "\\", "\"", "#", "\n" * 3, "é", "\U0001F600")
SNIPPETS = (
    'rule r_{n} stop {{ for v in vulnerabilities where v.severity >= critical message "{{v.id}}" }}',
    'rule r_{n} warn {{ for f in files where f.path == "/x" message "x" }}',
    'list l_{n} = [1, "a", 2.5, true]',
    'allow r_{n} where v.id == "CVE-1" until 2027-03-01 because "x"',
    'import "other.regate"',
    'list l_{n} from "lists/denied-packages.yaml"',
    'policy "p{n}" {{ }}',
    'param p_{n} = 10MB',
    'template t_{n}(a, b) {{ for v in vulnerabilities where v.severity >= a message "{{b}}" }}',
    'rule r_{n} warn from t_0(high, "x")',
    'mapping "m{n}" {{ images "*" policies "p" }}',
    'allowlist "a{n}" {{ allow r_0 where v.id == "CVE-1" }}',
    'rule r_{n} stop {{ origin "anchore:vulnerabilities:package:{n}" for v in vulnerabilities where new(v) message "{{v.id}}" }}',
    'rule r_{n} warn {{ for f in files where md5("files" + f.path) == "d41d8cd98f00b204e9800998ecf8427e" message "{{md5(f.path)}}" }}',
    'rule r_{n} warn {{ when any(p in packages where new(p)) message "new" }}',
    'rule r_{n} stop {{ for d in drift where d.collection == "users" and d.op == "added" message "{{d.element}}" }}',
)


LONG_LINE_BYTES = 1 << 20


def tokens(source: str) -> list[str]:
    return TOKEN.findall(source)


def _significant(toks: list[str]) -> list[int]:
    return [i for i, t in enumerate(toks) if not t.isspace()]


def _pick(rng: random.Random, toks: list[str]) -> int:
    indexes = _significant(toks) or [0]
    return rng.choice(indexes)


def delete_tokens(rng, toks, donors):
    i = _pick(rng, toks)
    return toks[:i] + toks[i + rng.randint(1, 3):]


def duplicate_token(rng, toks, donors):
    i = _pick(rng, toks)
    return toks[:i + 1] + [" ", toks[i]] * rng.randint(1, 3) + toks[i + 1:] if toks else toks


def swap_tokens(rng, toks, donors):
    if len(toks) < 2:
        return toks
    i, j = _pick(rng, toks), _pick(rng, toks)
    toks = list(toks)
    toks[i], toks[j] = toks[j], toks[i]
    return toks


def donor_token(rng, toks, donors):
    donor = tokens(rng.choice(donors))
    i = _pick(rng, toks)
    return toks[:i] + [donor[_pick(rng, donor)] if donor else ""] + toks[i + 1:]


def splice_lines(rng, toks, donors):
    """Lines of another seed inserted at a line boundary: whole rules and declarations move across policies."""
    lines = "".join(toks).split("\n")
    donor = rng.choice(donors).split("\n")
    start = rng.randrange(len(donor))
    piece = donor[start:start + rng.randint(1, 8)]
    at = rng.randint(0, len(lines))
    return tokens("\n".join(lines[:at] + piece + lines[at:]))


def grammar_token(rng, toks, donors):
    """Replace a token by one of the same kind: keyword by keyword, name by field, operator by operator."""
    i = _pick(rng, toks)
    old = toks[i] if toks else ""
    if old[:1].isalpha() or old[:1] == "_":
        pool = KEYWORDS if rng.random() < 0.6 else FIELDS
    elif old[:1] == '"':
        pool = STRINGS
    elif old[:1].isdigit():
        pool = NUMBERS
    else:
        pool = OPERATORS
    return toks[:i] + [rng.choice(pool)] + toks[i + 1:]


def literal(rng, toks, donors):
    """A hostile literal of the same kind in place of an existing one (anywhere, when there is none)."""
    literals = [i for i, t in enumerate(toks) if t[:1] == '"' or t[:1].isdigit()]
    i = rng.choice(literals) if literals else _pick(rng, toks)
    pool = STRINGS if toks and toks[i][:1] == '"' else NUMBERS
    return toks[:i] + [rng.choice(pool)] + toks[i + 1:]


def string_char(rng, toks, donors):
    """A raw hostile character inside a string literal, where the policy usually stays valid."""
    strings = [i for i, t in enumerate(toks) if t[:1] == '"' and len(t) >= 2]
    if not strings:
        return raw_char(rng, toks, donors)
    i = rng.choice(strings)
    cut = rng.randint(1, len(toks[i]) - 1)
    return toks[:i] + [toks[i][:cut] + rng.choice(RAW + ("{", "}", "{v}", "%", "\\u0000", "\\uD800")) + toks[i][cut:]] + toks[i + 1:]


def raw_char(rng, toks, donors):
    """A character editors and lexers disagree about, inside a token, between tokens or at the start."""
    char = rng.choice(RAW)
    where = rng.random()
    if where < 0.15:
        return [char] + toks
    i = _pick(rng, toks)
    tok = toks[i] if toks else ""
    cut = rng.randint(0, len(tok))
    return toks[:i] + [tok[:cut] + char + tok[cut:]] + toks[i + 1:]


def deep_nesting(rng, toks, donors):
    """Wrap a token in hundreds of brackets or prefix it with `not`s: the parser and codegen recurse."""
    depth = rng.choice((50, 199, 200, 201, 999, 5000))
    i = _pick(rng, toks)
    opener, closer = rng.choice((("(", ")"), ("[", "]"), ("not ", ""), ("{", "}"), ("-", "")))
    return toks[:i] + [opener * depth, toks[i] if toks else "x", closer * depth] + toks[i + 1:]


def long_line(rng, toks, donors):
    i = _pick(rng, toks)
    tok = toks[i] if toks else "x"
    joiner = rng.choice((" ", " and ", ", ", " or ", ""))
    # Up to about 1 MB: a long line, not a case too big for the worker's pipe and memory cap.
    repeat = min(rng.choice((1000, 20000)), LONG_LINE_BYTES // (len(tok) + len(joiner) + 1))
    return toks[:i] + [joiner.join([tok] * repeat)] + toks[i + 1:]


def insert_snippet(rng, toks, donors):
    text = rng.choice(SNIPPETS).format(n=rng.randint(0, 3))
    count = rng.choice((1, 1, 1, 2, 50, 600))
    at = rng.randint(0, len(toks))
    return toks[:at] + ["\n"] + ["\n  ".join([text] * count) if "{" in text else "\n".join([text] * count)] + toks[at:]


def truncate(rng, toks, donors):
    return toks[:rng.randint(0, len(toks))]


MUTATIONS = (delete_tokens, duplicate_token, swap_tokens, donor_token, splice_lines, grammar_token, grammar_token,
             literal, raw_char, deep_nesting, long_line, insert_snippet, truncate)
# Edits after which a policy often still compiles, so that code generation and
# `opa check --strict` see hostile values and not only the parser.
GENTLE = (literal, literal, string_char, string_char, insert_snippet, splice_lines)


def mutate(rng: random.Random, seed: str, donors: list[str]) -> tuple[str, list[str]]:
    """The mutated source and the names of the mutations applied, in order."""
    toks = tokens(seed)
    applied = []
    gentle = rng.random() < 0.5
    for _ in range(rng.choice((1, 1, 2)) if gentle else rng.choice((1, 1, 2, 2, 3, 4))):
        mutation = rng.choice(GENTLE if gentle else MUTATIONS)
        toks = mutation(rng, toks, donors)
        applied.append(mutation.__name__)
    return "".join(toks), applied
