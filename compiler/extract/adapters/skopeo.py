"""`skopeo inspect` output: what a registry says about an image without pulling it.

`Name` is the repository (with `Tag` since skopeo 1.x only when one was asked
for), `Digest` the manifest the reference resolves to (an index's digest for a
multi-platform image), `Layers` the layer blobs (compressed: not diff ids) and
`Env`/`Labels` the config's. `RepoTags` lists every tag of the repository, not
the image's own; the rest of the config (user, command, ports) is not in the
output at all.
"""

from __future__ import annotations

from ..base import Extraction, Source
from .imageconfig import name_values, parse_reference, string_map
from .normalize import rfc3339
from .view import View

_NOT_STATED = "user, entrypoint, cmd, exposed ports, healthcheck, workdir, volumes"


def _reference(name: str, tag: str) -> dict:
    parsed = parse_reference(f"{name}:{tag}" if tag else name)
    if not parsed:
        return {}
    if not tag and "@" not in name and ":" not in name.rpartition("/")[2]:
        # parse_reference reads a bare name as :latest; skopeo's Name only names the repository.
        parsed.pop("tag", None)
        parsed["reference"] = f"{parsed['registry']}/{parsed['repository']}"
    return parsed


class SkopeoInspect:
    format = "skopeo-inspect"
    description = "`skopeo inspect` output (Name, Digest, Layers, Env, Labels)"

    def detect(self, doc) -> bool:
        # `--no-tags` leaves out RepoTags; `Config` would be `docker image inspect` output.
        return (isinstance(doc, dict) and "Name" in doc and "Digest" in doc and isinstance(doc.get("Layers"), list)
                and "Config" not in doc)

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        image = _reference(root.str("Name"), root.str("Tag"))
        if root.str("Digest"):
            image["digest"] = root.str("Digest")
        for source, target in (("Architecture", "architecture"), ("Os", "os"), ("Variant", "variant")):
            if root.str(source):
                image[target] = root.str(source)
        created = rfc3339(root.str("Created"))
        if created:
            image["created"] = created
        env = [item.partition("=")[::2] for item in root.strs("Env")]
        if env:
            image["env"] = name_values(env)
        labels = string_map(root.obj("Labels"))
        if labels:
            image["labels"] = labels
        sizes = {item.expect_object().str("Digest"): item.size("Size") for item in root.arr("LayersData")}
        layers = []
        for index, digest in enumerate(root.strs("Layers")):
            layer: dict = {"index": index, "blob_digest": digest}
            if sizes.get(digest) is not None:
                layer["blob_size"] = sizes[digest]
            layers.append(layer)
        if layers:
            image["layers"] = layers
        warnings = [f"skopeo inspect states no {_NOT_STATED} of the image: those are left unstated "
                    "(pass the image config or `docker image inspect` output for them)"]
        if root.strs("RepoTags"):
            warnings.append(f"RepoTags lists the repository's {len(root.strs('RepoTags'))} tags, not this image's: "
                            "none is taken as the image's tag")
        return Extraction({"image": image}, Source("skopeo", self.format, "", path), warnings)
