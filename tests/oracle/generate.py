"""Seeded random policy sets (as source text) and input documents for the differential test.

Policies draw on every construct of docs/language.md; documents give each field a typical value,
null, nothing, or a value of another type, and sometimes give a collection the wrong shape or
leave `image` out. Everything comes from one `random.Random`, so a seed reproduces a case.
"""

from __future__ import annotations

import hashlib
import json
import random

from regate.types import ELEMENT_KEYS

# Versions every scheme orders alike (numerically); deb and python packages also get their own.
MINIMUM_KEYS = {"p": ["p.name"], "v": ["v.package.name", "v.id"]}
COMMON_VERSIONS = ["1.2.3", "1.10.0", "2.0.0", "0.9.9", "10.0.1"]
ECOSYSTEM_VERSIONS = {
    "deb": COMMON_VERSIONS + ["1:0.1.0", "1.2.3~rc1", "1.2.3-1", "1.2.3+b1", "2.0.0-0ubuntu1"],
    "python": COMMON_VERSIONS + ["1.2.3rc1", "1.2.3.post1", "2.0.0a1", "1.10.0.dev3"],
}
TYPES = ["deb", "python", "npm", "apk", "rpm", "weird"]
NAMES = ["openssl", "curl", "nmap", "Netcat", "é-lib", "日本", "", "a%b", "pkg{x}"]
LICENSES = ["MIT", "GPL-3.0-only", "GPL-2.0", "Apache-2.0", "BSD"]
SEVERITIES = ["unknown", "negligible", "low", "medium", "high", "critical"]
DATES = ["2026-01-01T00:00:00Z", "2025-06-15T12:30:00Z", "2025-12-31", "2026-03-01T00:00:00+02:00",
         "2024-02-29", "2026-05-31T23:59:59.5Z"]
BAD_DATES = ["yesterday", "2026-13-01", "2026-01-01 00:00:00", ""]
PATHS = ["/etc/passwd", "/etc/shadow", "/usr/bin/su", "/app/main.py", "/opt/ß/data", "/tmp/x y"]
USERS = ["root", "app", "nobody", "Admin", ""]
STRINGS = ["", "a", "MIT", "root", "abc", "Ωmega", "x<y&z", 'say "hi"', "back\\slash", "tab\t"]
REGEXES = ["^GPL", "(?i)mit", "^$", "[0-9]+", "^/etc/", "é", "^(root|admin)$", "^\\w+$", "\\\\"]
GLOBS = ["GPL-*", "/etc/*", "/etc/**", "*", "?IT", "[AB]*", "{MIT,BSD}", "/opt/*/data", "**/x y"]
# `origin` texts (as `regate import anchore` writes them, and odd ones): kept verbatim in data.json.
ORIGINS = ["anchore:vulnerabilities:package:b30e8abc-1", "anchore:files:name_match:7", "é 日本", 'say "hi"',
           "back\\slash", "tab\t", ""]
DRIFT_OPS = ["added", "added", "removed", "upgraded", "changed", "ADDED"]
MODES = [0o755, 0o4755, 0o777, 0o644, 0o002, 0]
NOW = "2026-06-01T00:00:00Z"

# The fields policies use, by collection, with their kinds (as the input schema types them).
FIELDS = {
    "packages": {"name": "string", "version": "version", "type": "string", "os": "bool",
                 "purl": "string", "licenses": "strings"},
    "vulnerabilities": {"id": "string", "severity": "severity", "published": "date", "risk": "number",
                        "kev": "bool", "fix.available": "bool", "fix.versions": "strings",
                        "package.name": "string", "package.version": "version", "fix": "object",
                        "modified": "date"},
    "files": {"path": "string", "mode": "number", "size": "number", "contents": "string", "setuid": "bool"},
    "image.exposed_ports": {"port": "number", "protocol": "string", "spec": "string"},
    "image.env": {"name": "string", "value": "string"},
    "image.layers": {"digest": "string", "size": "number"},
    "changes": {"op": "string", "path": "string"},
    "users": {"name": "string", "uid": "number", "gid": "number", "shell": "string"},
    "secrets": {"kind": "string", "path": "string", "line": "number", "severity": "severity"},
    "misconfigurations": {"id": "string", "severity": "severity", "status": "string"},
    "image.labels": {"name": "string", "value": "string"},
}
IMAGE_FIELDS = {"image.user": "string", "image.size": "number", "image.created": "date",
                "image.healthcheck": "object", "image.os": "string", "image.entrypoint": "strings",
                "image.env[\"DEBUG\"].value": "string", "image.labels.maintainer.value": "string"}
VARS = {"packages": "p", "vulnerabilities": "v", "files": "f", "image.exposed_ports": "e", "image.env": "n",
        "image.layers": "l", "changes": "c", "users": "u", "secrets": "s", "misconfigurations": "m",
        "image.labels": "b"}


def q(text: str) -> str:
    """A string literal of the language."""
    return json.dumps(text, ensure_ascii=False)


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class PolicyGenerator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.depth = 0
        self.origins: dict[tuple[str, str], str] = {}  # (policy, rule): the `origin` written

    def choice(self, items):
        return self.rng.choice(items)

    # ---------------------------------------------------------- conditions
    def condition(self, var: str | None, collection: str | None, depth: int = 0) -> str:
        roll = self.rng.random()
        if depth < 2 and roll < 0.15:
            return f"{self.condition(var, collection, depth + 1)} and {self.condition(var, collection, depth + 1)}"
        if depth < 2 and roll < 0.27:
            return f"({self.condition(var, collection, depth + 1)} or {self.condition(var, collection, depth + 1)})"
        if depth < 2 and roll < 0.42:
            return f"not ({self.condition(var, collection, depth + 1)})"
        if var is None or self.rng.random() < 0.15:
            return self.image_atom(var is None)
        if collection in ELEMENT_KEYS and self.rng.random() < 0.08:
            return f"new({var})"
        fields = FIELDS[collection]
        path, kind = self.choice(list(fields.items()))
        same = [p for p, k in fields.items() if k == kind and p != path and kind in ("string", "number", "date")]
        if same and self.rng.random() < 0.1:
            return f"{var}.{path} {self.choice(['==', '!=', '<', '>='])} {var}.{self.choice(same)}"
        if self.rng.random() < 0.02:
            return self.choice(["true", "false"])
        return self.atom(f"{var}.{path}", kind, var)

    def image_atom(self, whole_image: bool) -> str:
        if whole_image and self.rng.random() < 0.2:
            collection = self.choice(list(FIELDS))
            var = VARS[collection] + "2"
            path, kind = self.choice(list(FIELDS[collection].items()))
            inner = self.atom(f"{var}.{path}", kind, var)
            if collection in ELEMENT_KEYS and self.rng.random() < 0.15:
                inner = f"new({var})"
            quantifier = self.choice(["any", "all", "count"])
            if quantifier == "count":
                return f"count({var} in {collection} where {inner}) {self.choice(['>', '==', '<='])} {self.choice([0, 1, 2])}"
            return f"{quantifier}({var} in {collection} where {inner})"
        path, kind = self.choice(list(IMAGE_FIELDS.items()))
        return self.atom(path, kind, None, nested=not whole_image)

    def atom(self, ref: str, kind: str, var: str | None, nested: bool = False) -> str:
        rng = self.rng
        if rng.random() < 0.1:
            return self.choice([f"exists({ref})", f"{ref} == null", f"{ref} != null"])
        if kind == "string":
            return self.choice([
                lambda: f"{ref} {self.choice(['==', '!=', '<', '>=', '<=', '>'])} {q(self.choice(STRINGS + NAMES))}",
                lambda: f"{ref} {self.choice(['in', 'not in'])} {self.choice(['names', 'users_param', self.string_list()])}",
                lambda: f"{ref} matches {q(self.choice(REGEXES))}",
                lambda: f"{ref} glob {q(self.choice(GLOBS))}",
                lambda: f"{self.choice(['startswith', 'endswith', 'contains'])}({ref}, {q(self.choice(STRINGS))})",
                lambda: f"{self.choice(['lower', 'upper'])}({ref}) == {q(self.choice(NAMES + STRINGS))}",
                lambda: f"{self.choice(['lower', 'upper'])}({ref}) in {self.string_list()}",
                lambda: f"md5({ref}) {self.choice(['==', '!='])} {q(md5(self.choice(STRINGS + NAMES)))}",
                lambda: f"{ref} + {q('@')} + {ref} == {q(self.choice(['a@a', '@', 'root@root']))}",
                lambda: f"{ref} in minimums",
                lambda: f"{ref} + {q('@')} + {ref} {self.choice(['in', 'not in'])} names",
                lambda: f"count({ref}) {self.choice(['>', '=='])} {self.choice([0, 3])}",
            ])()
        if kind == "number":
            number = self.choice(["0", "1", "80", "443", "-3", "7.5", "1KB", "1KiB", "0o755", "threshold"])
            return self.choice([
                lambda: f"{ref} {self.choice(['==', '!=', '<', '<=', '>', '>='])} {number}",
                lambda: f"{ref} {self.choice(['in', 'not in'])} {self.choice(['ports', '[80, 443, 0]', '[]'])}",
                lambda: f"{ref} {self.choice(['+', '-', '*'])} {self.choice(['1', '2', ref])} {self.choice(['>', '=='])} {number}",
                lambda: f"{ref} / {self.choice(['2', '4', '0'])} {self.choice(['>', '<='])} {number}",
                lambda: f"{ref} % {self.choice(['2', '3', '0'])} == {self.choice(['0', '1'])}",
                lambda: f"bits_set({ref}, {self.choice(['0o002', '0o4000', '0o7', '0'])})",
                lambda: f"octal({ref}) {self.choice(['==', '!='])} {q(self.choice(['755', '4755', '0']))}",
                lambda: f"string({ref}) {self.choice(['==', '!='])} {q(self.choice(['80', '7.5', '-3', '0']))}",
            ])()
        if kind == "bool":
            return self.choice([ref, f"{ref} == {self.choice(['true', 'false'])}", f"{ref} != true"])
        if kind == "severity":
            return self.choice([
                lambda: f"{ref} {self.choice(['>=', '<', '>', '<='])} {self.choice(SEVERITIES)}",
                lambda: f"{ref} {self.choice(['==', '!='])} {q(self.choice(SEVERITIES))}",
                lambda: f"{ref} {self.choice(['in', 'not in'])} [\"high\", \"critical\"]",
                lambda: f"{ref} >= {q('medium')}",
            ])()
        if kind == "version":
            return self.choice([
                lambda: f"{ref} {self.choice(['<', '<=', '>', '>='])} {q(self.choice(COMMON_VERSIONS))}",
                lambda: f"{ref} {self.choice(['==', '!='])} {q(self.choice(COMMON_VERSIONS))}",
                lambda: f"{q(self.choice(COMMON_VERSIONS))} {self.choice(['<', '>='])} {ref}",
                lambda: f"{ref} < minimums[{self.choice(MINIMUM_KEYS.get(var, [q('openssl')]))}]",
            ])()
        if kind == "date":
            return self.choice([
                lambda: f"{ref} {self.choice(['<', '>=', '==', '!='])} {self.choice(['2025-12-31', '2026-01-01T00:00:00Z'])}",
                lambda: f"{ref} > {q('2025-06-15')}",
                lambda: f"days_since({ref}) {self.choice(['>', '<=', '=='])} {self.choice(['30', '0', '152'])}",
            ])()
        if kind == "strings":
            item = self.choice(["it", "el"])
            if nested:  # a scan of an image list inside a rule's loop is rejected (E401)
                return f"{q(self.choice(LICENSES))} {self.choice(['in', 'not in'])} {ref}"
            return self.choice([
                lambda: f"{q(self.choice(LICENSES))} {self.choice(['in', 'not in'])} {ref}",
                lambda: f"count({ref}) {self.choice(['>', '==', '<'])} {self.choice(['0', '1', '2'])}",
                lambda: f"any({item} in {ref} where {item} glob {q(self.choice(GLOBS))})",
                lambda: f"all({item} in {ref} where {item} {self.choice(['==', 'matches'])} {q(self.choice(LICENSES + REGEXES))})",
                lambda: f"count({item} in {ref} where {item} != {q('MIT')}) >= 1",
                lambda: f"{ref}[{self.choice(['0', '1', f'count({ref}) - 1'])}] == {q(self.choice(LICENSES))}",
            ])()
        return self.choice([f"exists({ref})", f"count({ref}) {self.choice(['==', '>'])} {self.choice(['0', '1'])}",
                            f"exists({ref}.available)" if ref.endswith("fix") else f"exists({ref}.test)"])  # objects

    def string_list(self) -> str:
        items = self.rng.sample(STRINGS + NAMES, self.rng.randint(0, 3))
        return "[" + ", ".join(q(i) for i in items) + "]"

    # -------------------------------------------------------------- messages
    def message(self, var: str | None, collection: str | None) -> str:
        parts = [self.choice(["found", "50% of {{it}}", "é", ""])]  # no quotes or backslashes
        for _ in range(self.rng.randint(0, 3)):
            if var is not None and self.rng.random() < 0.7:
                path, kind = self.choice(list(FIELDS[collection].items()))
                ref = f"{var}.{path}"
            else:
                ref, kind = self.choice(list(IMAGE_FIELDS.items()))
            expr = self.choice([
                ref, ref, f"count({ref})" if kind in ("strings", "string") else ref,
                f"octal({ref})" if kind == "number" else ref,
                f"string({ref})" if kind in ("number", "string", "bool") else ref,
                f"{ref} {self.choice(['+', '-', '*', '/', '%'])} {self.choice(['1', '2', '0'])}" if kind == "number" else ref,
                f"lower({ref})" if kind == "string" else ref,
                f"md5({ref})" if kind == "string" else ref,
                f"days_since({ref})" if kind == "date" else ref,
                f'startswith({ref}, "a")' if kind == "string" else ref,
                f"exists({ref})", f"not exists({ref})", f"minimums[{ref}]" if kind == "string" else ref,
                f"count(it in {ref} where it != \"MIT\")" if kind == "strings" and ref.startswith(f"{var}.") else ref,
                self.atom(ref, kind, var, nested=True) if var is not None else ref,
                f'{ref} + "!"' if kind == "string" else ref,
            ])
            if "\\" in expr:  # escapes inside escapes: keep messages readable
                expr = ref
            parts.append("{" + expr.replace('"', '\\"') + "}")
        return '"' + " ".join(parts) + '"'

    # ------------------------------------------------------------ policies
    def rule_body(self) -> tuple[str, str | None, str | None]:
        """(clauses, loop variable, collection)."""
        clauses = []
        var = collection = None
        if self.rng.random() < 0.8:
            collection = self.choice(list(FIELDS))
            var = VARS[collection]
        if var is None or self.rng.random() < 0.25:
            clauses.append(f"when {self.condition(None, None)}")
        if var is not None:
            where = f" where {self.condition(var, collection)}" if self.rng.random() < 0.9 else ""
            if collection == "files" and self.rng.random() < 0.2:
                pinned = self.choice([f'f.path == {q(self.choice(PATHS))}',
                                      f'f.path in [{q(PATHS[0])}, {q(PATHS[2])}]'])
                where = f" where {pinned}" + (f" and {self.condition(var, collection)}" if where else "")
            clauses.append(f"for {var} in {collection}{where}")
        clauses.append(f"message {self.message(var, collection)}")
        if self.rng.random() < 0.2:
            clauses.insert(0, f"severity {self.choice(SEVERITIES)}")
        return "\n    ".join(clauses), var, collection

    def origin(self, policy: str, rule: str, separator: str) -> str:
        """Sometimes an `origin` clause (recorded in self.origins), else nothing."""
        if self.rng.random() >= 0.15:
            return ""
        self.origins[(policy, rule)] = self.choice(ORIGINS)
        return f"{separator}origin {q(self.origins[(policy, rule)])}"

    def policy_set(self) -> str:
        rng = self.rng
        out = [
            f"list names = [{', '.join(q(n) for n in rng.sample(NAMES + STRINGS, 3))}]",
            "list ports = [80, 443]",
            f"param minimums = {{\"openssl\": {q(self.choice(COMMON_VERSIONS))}, \"curl\": {q(self.choice(COMMON_VERSIONS))}, \"\": \"1.2.3\"}}",
            f"param threshold = {self.choice([2, 100, 1000])}",
            "param users_param = [\"root\", \"Admin\"]",
            "template denied(list_of_names) {\n  for p in packages where p.name in list_of_names\n  message \"{p.name} denied\"\n}",
        ]
        allowlist = []
        for policy_number in range(rng.randint(1, 3)):
            rules, allows = [], []
            for rule_number in range(rng.randint(1, 5)):
                name = f"r{policy_number}_{rule_number}"
                action = self.choice(["stop", "warn", "go"])
                if rng.random() < 0.1:
                    argument = self.choice(["names", "users_param", self.string_list()])
                    override = " { title \"Denied\" severity high" if rng.random() < 0.3 else ""
                    if override:
                        override += f"{self.origin(f'p{policy_number}', name, ' ')} }}"
                    rules.append(f"  rule {name} {action} from denied({argument}){override}")
                    var, collection = "p", "packages"
                else:
                    body, var, collection = self.rule_body()
                    origin = self.origin(f"p{policy_number}", name, "")
                    body = f"{origin}\n    {body}" if origin else body
                    rules.append(f"  rule {name} {action} {{\n    {body}\n  }}")
                for _ in range(rng.choice([0, 0, 1, 2])):
                    where = f" where {self.condition(var, collection, 1)}" if rng.random() < 0.8 else ""
                    until = f" until {self.choice(['2026-05-31', '2026-06-01', '2027-01-01'])}" if rng.random() < 0.5 else ""
                    (allows if rng.random() < 0.7 else allowlist).append(
                        f"  allow {name}{where}{until} because \"ok\"")
            out.append(f'policy "p{policy_number}" {{\n' + "\n".join(rules + allows) + "\n}")
        if allowlist:
            out.append('allowlist "accepted" {\n' + "\n".join(allowlist) + "\n}")
        return "\n\n".join(out) + "\n"


# --------------------------------------------------------------- documents

class DocumentGenerator:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def choice(self, items):
        return self.rng.choice(items)

    def wrong(self, kind: str):
        """A value of another type than `kind`."""
        pool = {"string": [7, True, ["a"], {"a": 1}], "number": ["80", True, [1], None, 2.5],
                "bool": ["true", 1, None], "version": [3, ["1.2.3"], None], "severity": ["High", "bogus", 5],
                "date": BAD_DATES + [20260101], "strings": ["MIT", {"a": "MIT"}, 3], "object": ["x", [1]]}
        return self.choice(pool.get(kind, [1]))

    def typical(self, kind: str, name: str, ecosystem: str | None = None):
        rng = self.rng
        if kind == "string":
            return self.choice({"name": NAMES, "path": PATHS, "user": USERS, "spec": ["22/tcp", "80/tcp"],
                                "value": ["1", "0", "true", ""], "op": ["add", "remove", "replace"],
                                "protocol": ["tcp", "udp"]}.get(name, STRINGS + NAMES))
        if kind == "number":
            return self.choice(MODES if name == "mode" else [0, 1, 22, 80, 443, 8080, 1000, 1024, -3, 7.5, 10**6])
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "version":
            return self.choice(ECOSYSTEM_VERSIONS.get(ecosystem, COMMON_VERSIONS))
        if kind == "severity":
            return self.choice(SEVERITIES)
        if kind == "date":
            return self.choice(DATES)
        if kind == "strings":
            return rng.sample(LICENSES, rng.randint(0, 3))
        return {"test": ["CMD", "true"]}

    def value(self, kind: str, name: str, ecosystem: str | None = None):
        roll = self.rng.random()
        if roll < 0.62:
            return self.typical(kind, name, ecosystem)
        if roll < 0.72:
            return None
        if roll < 0.87:
            return _ABSENT
        return self.wrong(kind)

    def element(self, fields: dict, extra: dict | None = None) -> dict:
        out = dict(extra or {})
        ecosystem = out.get("type") if isinstance(out.get("type"), str) else None
        for path, kind in fields.items():
            if path in out:
                continue
            head, _, tail = path.partition(".")
            v = self.value(kind, tail or head, ecosystem)
            if v is _ABSENT:
                continue
            if tail:
                if isinstance(out.get(head), dict):
                    out[head][tail] = v
            else:
                out[head] = v
        return out

    def package(self) -> tuple[str, dict]:
        kind = self.choice(TYPES)
        extra = {"type": kind} if self.rng.random() < 0.85 else {}
        element = self.element(FIELDS["packages"], extra)
        if "type" not in element or not isinstance(element.get("type"), str):
            if isinstance(element.get("version"), str):
                element["version"] = self.choice(COMMON_VERSIONS)
        key = f"{kind}:{element.get('name', 'x')}@{element.get('version', '0')}"
        return key, self.with_key(element, key)

    def with_key(self, element: dict, key: str) -> dict:
        """Most elements carry their key as the extractor writes it; some a wrong or no key."""
        roll = self.rng.random()
        if roll < 0.8:
            element["key"] = key
        elif roll < 0.85:
            element["key"] = self.wrong("string")
        return element

    def vulnerability(self, n: int) -> tuple[str, dict]:
        package_type = self.choice(TYPES)
        package = {"name": self.choice(NAMES), "type": package_type,
                   "version": self.choice(ECOSYSTEM_VERSIONS.get(package_type, COMMON_VERSIONS))}
        if self.rng.random() < 0.2:
            package.pop(self.choice(["name", "type", "version"]))
            if "type" not in package:
                package["version"] = self.choice(COMMON_VERSIONS)
        fix = {"available": self.rng.random() < 0.5, "versions": self.rng.sample(COMMON_VERSIONS, 2)}
        extra = {"package": package, "fix": fix} if self.rng.random() < 0.9 else {}
        element = self.element({k: v for k, v in FIELDS["vulnerabilities"].items() if "." not in k and k != "fix"},
                               extra)
        key = f"CVE-2026-{n}+{package_type}:{package.get('name')}"
        return key, self.with_key(element, key)

    def collection(self, make, size: int) -> dict:
        out = {}
        for i in range(size):
            key, element = make(i)
            out[key] = element
        return out

    def size(self) -> int:
        roll = self.rng.random()
        return 0 if roll < 0.15 else 40 if roll > 0.97 else self.rng.randint(1, 4)

    def document(self) -> dict:
        rng = self.rng
        image = self.element({k.split(".")[1]: v for k, v in IMAGE_FIELDS.items() if k.count(".") == 1})
        image["env"] = self.collection(lambda i: (name := self.choice(["DEBUG", "PATH", "é"]),
                                                  self.element(FIELDS["image.env"], {"name": name})), self.size())
        image["labels"] = self.collection(lambda i: (name := self.choice(["maintainer", "version", "ß"]),
                                                     self.element(FIELDS["image.labels"], {"name": name})), self.size())
        image["exposed_ports"] = self.collection(
            lambda i: (f"{self.choice([22, 80, 443, 8080])}/{self.choice(['tcp', 'udp'])}",
                       self.element(FIELDS["image.exposed_ports"])), self.size())
        image["layers"] = [self.element(FIELDS["image.layers"]) for _ in range(self.size())]
        doc = {
            "schema_version": 1, "now": NOW, "image": image,
            "packages": self.collection(lambda i: self.package(), self.size()),
            "vulnerabilities": self.collection(self.vulnerability, self.size()),
            "files": self.collection(lambda i: (path := self.choice(PATHS),
                                                self.element(FIELDS["files"], {"path": path} if rng.random() < 0.9
                                                             else {"path": "/elsewhere"})), self.size()),
            "users": self.collection(lambda i: (name := self.choice(USERS), self.element(FIELDS["users"], {"name": name})),
                                     self.size()),
            "secrets": self.collection(lambda i: (f"secret-{i}", self.element(FIELDS["secrets"])), self.size()),
            "misconfigurations": self.collection(lambda i: (f"DS{i:03d}", self.element(FIELDS["misconfigurations"])),
                                                 self.size()),
            "changes": [self.element(FIELDS["changes"]) for _ in range(self.size())],
        }
        self.add_drift(doc)
        roll = rng.random()
        if roll < 0.04:
            del doc["image"]
        elif roll < 0.08:
            doc[self.choice(["packages", "files", "vulnerabilities"])] = [{"name": "openssl", "path": "/etc/passwd"}]
        elif roll < 0.11:
            doc["image"]["layers"] = {"0": {"size": 10}}
        elif roll < 0.13:
            doc["image"]["layers"] = ["not an object", 5, None]
        elif roll < 0.15:
            doc["packages"] = None
        elif roll < 0.17:
            doc["image"] = self.choice([None, "alpine", [image]])
        return doc


    def add_drift(self, doc: dict) -> None:
        """Change records against a baseline for some elements (what `new(x)` reads), a record for
        an element that is not there, sometimes none or a `drift` of the wrong shape."""
        roll = self.rng.random()
        if roll < 0.1:
            return
        if roll < 0.13:
            doc["drift"] = self.choice([[], "added", {"packages:x": "added"}])
            return
        drift = {}
        for collection, field in ELEMENT_KEYS.items():
            head, _, tail = collection.partition(".")
            elements = doc[head].get(tail) if tail else doc[head]
            for element in (elements.values() if isinstance(elements, dict) else []):
                if isinstance(element.get(field), str) and self.rng.random() < 0.5:
                    key = f"{collection}:{element[field]}"
                    drift[key] = {"collection": collection, "element": element[field], "op": self.choice(DRIFT_OPS)}
        drift["packages:deb:gone@1.0"] = {"collection": "packages", "element": "deb:gone@1.0", "op": "removed"}
        doc["drift"] = drift


class _Absent:
    pass


_ABSENT = _Absent()
