"""Which distributions a scanner's vulnerability data covered (`sources[].distros`), where it says.

Anchore's `vulnerability_data_unavailable` fires when its feeds hold nothing for the image's
distribution; a scanner report tells the same only in some shapes, and nothing is inferred where it
does not:
- Grype 0.8x+ (database v6) lists the providers its database was built from
  (`descriptor.db.providers`): the image's distribution is covered when its provider is one of
  them, not covered (an empty list) when it is not. Older Grype reports do not say.
- Trivy reports an `os-pkgs` result only for a distribution its database supports (an unsupported
  OS is a log line, no result): with `Metadata.OS` and such a result, that distribution is covered;
  without the result it does not say.
"""

from __future__ import annotations

from .normalize import distro_id, distro_version
from .view import View

# os-release ID → the Grype (vunnel) provider whose data covers it.
GRYPE_PROVIDERS = {
    "alpine": "alpine", "amzn": "amazon", "debian": "debian", "ubuntu": "ubuntu", "rhel": "rhel", "centos": "rhel",
    "rocky": "rhel", "almalinux": "rhel", "ol": "oracle", "sles": "sles", "opensuse-leap": "sles",
    "mariner": "mariner", "azurelinux": "mariner", "wolfi": "wolfi", "chainguard": "chainguard",
    "minimos": "minimos", "echo": "echo",
}


def _name(name: str, version: str) -> str:
    return f"{distro_id(name)}:{distro_version(version)}" if distro_version(version) else distro_id(name)


def grype_distros(root: View) -> tuple[str, ...] | None:
    distro = root.obj("distro")
    providers = root.obj("descriptor").obj("db").raw("providers")
    if not distro.str("name") or not isinstance(providers, dict):
        return None
    covered = GRYPE_PROVIDERS.get(distro_id(distro.str("name"))) in providers
    return (_name(distro.str("name"), distro.str("version")),) if covered else ()


def trivy_distros(root: View, results: list[View]) -> tuple[str, ...] | None:
    os_info = root.obj("Metadata").obj("OS")
    if not os_info.str("Family") or not any(result.str("Class") == "os-pkgs" for result in results):
        return None
    return (_name(os_info.str("Family"), os_info.str("Name")),)
