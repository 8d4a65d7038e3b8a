"""Triggers about the vulnerability and package data rather than the image: vulnerabilities
stale_feed_data and vulnerability_data_unavailable, and the npm/gem feed triggers regate has no
facts for."""

from __future__ import annotations

from ..model import Rule
from ..params import Params, Untranslatable, string, string_list
from . import Translation, translator

VULNERABILITY_FORMATS = '["grype-json", "trivy-json", "cyclonedx-json"]'


@translator("vulnerabilities", "stale_feed_data")
def stale_feed_data(rule: Rule) -> Translation:
    days = Params(rule, ("max_days_since_sync",)).integer("max_days_since_sync", required=True)
    message = f"The vulnerability feed for this image distro is older than MAXAGE ({days}) days"
    # Anchore compares seconds (older than N days); whole days reach the same verdict except at the instant of N days.
    return Translation(title="Vulnerability data is stale", message=message, constant_message=message,
                       when=f"any(s in sources where days_since(s.data_built) >= {days})")


# Anchore's default distro mappings (policy_engine/__init__.py `_init_distro_mappings`): an image
# of these distros is looked up in the feed group of another; the others keep their own name.
MAPPED_TO_RHEL = ("centos", "fedora", "redhat")


def _covers(name: str) -> str:
    """Whether a source's distro `d` covers the image as Anchore's namespace `<name>:<version>`
    (DistroNamespace.like_namespace_names): the full version, or, for a version starting with
    `<major>.<minor>`, also `<major>.<minor>` and `<major>` (rhel:8 covers 8.7)."""
    namespace = f'{name} + ":" + image.distro.version'
    return (f"d == {namespace} or (image.distro.version matches {string(r'^[0-9]+[.][0-9]+')} "
            f"and d matches {string(r'^[^:]+:[0-9]+([.][0-9]+)?$')} and startswith({namespace}, d + {string('.')}))")


@translator("vulnerabilities", "vulnerability_data_unavailable")
def vulnerability_data_unavailable(rule: Rule) -> Translation:
    Params(rule, ())
    # Anchore fires when its feeds have no group for a namespace of the image's distro. regate knows
    # which distros a scanner's data covers when the scanner says (sources[].distros, as the
    # scanner names the image's distro, so the image's own name counts too), and otherwise only
    # whether any vulnerability data was given at all.
    distro = 'image.distro.name + ":" + image.distro.version'
    covered = (f"any(s in sources where any(d in s.distros where {_covers('image.distro.name')} "
               f"or (image.distro.name in {string_list(MAPPED_TO_RHEL)} and ({_covers(string('rhel'))}))))")
    return Translation(
        title="No vulnerability data for the image's distro",
        message="Distro-specific feed data not found for distro namespace: {image.distro.name}:{image.distro.version}. "
                "Cannot perform CVE scan OS/distro packages",
        anchore_message=f'"Distro-specific feed data not found for distro namespace: " + {distro}'
                        ' + ". Cannot perform CVE scan OS/distro packages"',
        when=f"(count(s in sources where s.format in {VULNERABILITY_FORMATS}) == 0 and count(vulnerabilities) == 0)"
             f" or (any(s in sources where count(s.distros) > 0) and exists(image.distro.name) and not {covered})")


_FEED_TRIGGERS = {
    "npms": ("newer_version_in_feed", "unknown_in_feeds", "version_not_in_feeds", "feed_data_unavailable"),
    "ruby_gems": ("newer_version_found_in_feed", "not_found_in_feed", "version_not_found_in_feed", "feed_data_unavailable"),
}


def _feed(rule: Rule) -> Translation:
    raise Untranslatable(f"{rule.gate}/{rule.trigger} compares packages with Anchore's {rule.gate} feed, "
                         "and the input document holds no feed data")


for _gate, _triggers in _FEED_TRIGGERS.items():
    for _trigger in _triggers:
        translator(_gate, _trigger)(_feed)
