"""License names → SPDX license ids where the name has a clear SPDX meaning.

Scanners copy licenses from package metadata, which spells them every which
way (Debian copyright files: `GPL-2+`; RPM spec files: `GPLv2+`, `ASL 2.0`;
Python classifiers: `BSD License`). Policies compare SPDX ids, so common
spellings are mapped; names without a clear meaning are kept as given.
"""

from __future__ import annotations

import re
from functools import lru_cache

# SPDX ids as the SPDX list spells them, looked up case-insensitively so that
# `BSD-3-clause` (Debian) and `ZLIB` become `BSD-3-Clause` and `Zlib`.
_SPDX_IDS = (
    "0BSD AFL-2.1 AFL-3.0 AGPL-3.0-only AGPL-3.0-or-later Apache-1.0 Apache-1.1 Apache-2.0 APSL-2.0 "
    "Artistic-1.0 Artistic-1.0-Perl Artistic-2.0 Beerware BlueOak-1.0.0 BSD-1-Clause BSD-2-Clause "
    "BSD-2-Clause-Patent BSD-3-Clause BSD-3-Clause-Clear BSD-4-Clause BSD-4-Clause-UC BSL-1.0 bzip2-1.0.6 "
    "CC-BY-3.0 CC-BY-4.0 CC-BY-SA-3.0 CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 CPL-1.0 curl EPL-1.0 EPL-2.0 "
    "EUPL-1.2 FSFAP FSFUL FSFULLR FTL GFDL-1.2-only GFDL-1.2-or-later GFDL-1.3-only GFDL-1.3-or-later "
    "GPL-1.0-only GPL-1.0-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only GPL-3.0-or-later HPND ICU "
    "IJG ISC LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0-only "
    "LGPL-3.0-or-later Libpng libtiff MIT MIT-0 MPL-1.1 MPL-2.0 MS-PL NCSA OFL-1.1 OpenSSL PHP-3.01 "
    "PostgreSQL PSF-2.0 Python-2.0 Ruby TCL Unicode-DFS-2016 Unlicense UPL-1.0 Vim W3C WTFPL X11 "
    "Zlib ZPL-2.1"
).split()
_BY_LOWER = {spdx.lower(): spdx for spdx in _SPDX_IDS}

# Common names that are not SPDX ids but mean exactly one. Keys are compared
# lower-case with runs of spaces, underscores and commas folded to one space.
_ALIASES = {
    "apache 2": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "apache2": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license version 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0",
    "asl 2.0": "Apache-2.0",
    "http://www.apache.org/licenses/license-2.0": "Apache-2.0",
    "http://www.apache.org/licenses/license-2.0.txt": "Apache-2.0",
    "https://www.apache.org/licenses/license-2.0": "Apache-2.0",
    "https://www.apache.org/licenses/license-2.0.txt": "Apache-2.0",
    "mit license": "MIT",
    "the mit license": "MIT",
    "expat": "MIT",
    # Plain "BSD" names no clause count; the 3-clause text is what it means in
    # the package metadata that uses it (PyPI's "BSD License", Fedora's "BSD").
    "bsd": "BSD-3-Clause",
    "bsd license": "BSD-3-Clause",
    "bsd-2": "BSD-2-Clause",
    "bsd-3": "BSD-3-Clause",
    "bsd3": "BSD-3-Clause",
    "bsd-4": "BSD-4-Clause",
    "mplv2.0": "MPL-2.0",
    "mplv2": "MPL-2.0",
    "mpl 2.0": "MPL-2.0",
    "mplv1.1": "MPL-1.1",
    "cc0": "CC0-1.0",
    "boost": "BSL-1.0",
    "boost-1.0": "BSL-1.0",
    "artistic-2": "Artistic-2.0",
    "beer-ware": "Beerware",
    "psf": "PSF-2.0",
    "psf-2": "PSF-2.0",
    "zpl 2.1": "ZPL-2.1",
}

# The GNU family in every spelling: GPLv2+, GPL-2+, GPL2, GPL-2.0+, LGPLv2.1, AGPL-3 ...
_GNU = re.compile(r"^(?P<family>a|l)?gpl[-\s]?v?(?P<major>\d)(?:\.(?P<minor>\d))?(?:\.0)?(?P<suffix>\+|-or-later|-only)?$")
_AND = re.compile(r"[\s_]+and[\s_]+", re.IGNORECASE)
_OR = re.compile(r"[\s_]+or[\s_]+", re.IGNORECASE)
_FOLD = re.compile(r"[\s_,]+")


def _gnu(name: str) -> str | None:
    match = _GNU.match(name)
    if not match:
        return None
    family = {"a": "AGPL", "l": "LGPL", None: "GPL"}[match["family"]]
    version = f"{match['major']}.{match['minor'] or '0'}"
    known = {"GPL": {"1.0", "2.0", "3.0"}, "LGPL": {"2.0", "2.1", "3.0"}, "AGPL": {"3.0"}}[family]
    if version not in known:
        return None
    later = match["suffix"] in ("+", "-or-later")
    return f"{family}-{version}-{'or-later' if later else 'only'}"


def spdx_id(name: str) -> str | None:
    """The SPDX id one license name means, or None when it is not clear.

    SPDX documents wrap names that are not SPDX ids as `LicenseRef-<name>`
    (Syft: `LicenseRef-Apache-2.0` for "Apache 2.0"); the name inside counts.
    """
    folded = _FOLD.sub(" ", name.strip().removeprefix("LicenseRef-")).lower()
    if not folded:
        return None
    return _BY_LOWER.get(folded) or _ALIASES.get(folded) or _gnu(folded)


@lru_cache(maxsize=4096)  # the same few dozen names recur across thousands of packages
def normalize_license(name: str) -> tuple[str, ...]:
    """One license string as a list of licenses (an `A AND B` conjunction is several).

    Conjunctions split only when every part is understood, and disjunctions are
    rewritten only then too: English such as "GNU GPLv2 or any later version"
    stays as written.
    """
    name = name.strip()
    if not name:
        return ()
    single = spdx_id(name)
    if single:
        return (single,)
    inner = name[1:-1] if name.startswith("(") and name.endswith(")") else name
    if "(" in inner:
        return (name,)
    conjuncts = [spdx_id(part) for part in _AND.split(inner)]
    if len(conjuncts) > 1 and all(conjuncts):
        return tuple(dict.fromkeys(conjuncts))
    disjuncts = [spdx_id(part) for part in _OR.split(inner)]
    if len(disjuncts) > 1 and all(disjuncts):
        return (" OR ".join(disjuncts),)
    return (name,)


def normalize_licenses(names) -> list[str]:
    out: list[str] = []
    for name in names:
        for license_id in normalize_license(name):
            if license_id not in out:
                out.append(license_id)
    return out
