"""Extraction time and peak memory for a large image archive.

    python bench/image_bench.py                 # ~200 MB synthetic archive
    python bench/image_bench.py --size-mb 50    # smaller
    python bench/image_bench.py --debian        # the cached mmdebstrap Debian
                                                # rootfs as base layer, padded

The synthetic image has a layer of many small text files (a few holding fake
credentials), a layer of large random files and a layer deleting part of
both. Each measurement runs in a fresh process, so peak RSS is the
extraction's own (the import baseline is printed beside it).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.images import EPOCH, ImageSpec, LayerSpec, write_docker_archive  # noqa: E402

SMALL_FILES_SHARE = 0.25
BIG_FILE_BYTES = 16 << 20


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, EPOCH
    tar.addfile(info, io.BytesIO(data))


def _small_files_layer(path: Path, total: int, rng: random.Random) -> int:
    corpus = "".join(rng.choice("abcdefghij \n") for _ in range(1 << 16))
    count = 0
    written = 0
    with tarfile.open(path, "w") as tar:
        while written < total:
            start = rng.randrange(len(corpus) - 4000)
            text = corpus[start:start + rng.randint(200, 4000)]
            if count % 997 == 0:
                text += f"\naws_access_key_id = AKIA{count:016d}\n"
            _add(tar, f"srv/data/{count // 1000:03d}/file{count}.txt", text.encode())
            written += len(text)
            count += 1
    return count


def _big_files_layer(path: Path, total: int, rng: random.Random) -> int:
    count = max(1, total // BIG_FILE_BYTES)
    with tarfile.open(path, "w") as tar:
        for i in range(count):
            _add(tar, f"srv/blobs/blob{i}.bin", rng.randbytes(min(BIG_FILE_BYTES, total)))
    return count


def _cleanup_layer(path: Path) -> None:
    with tarfile.open(path, "w") as tar:
        _add(tar, "srv/blobs/.wh.blob0.bin", b"")
        _add(tar, "srv/data/000/.wh..wh..opq", b"")


def build(size_mb: int, workdir: Path, debian: Path | None) -> Path:
    rng = random.Random(size_mb)
    total = size_mb << 20
    layers = []
    if debian is not None:
        base = workdir / "debian-layer.tar"
        with tarfile.open(debian) as archive:
            layer_name = json.load(archive.extractfile("manifest.json"))[0]["Layers"][0]
            with archive.extractfile(layer_name) as src, open(base, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        layers.append(LayerSpec("mmdebstrap bookworm", tar_path=base))
        total = max(0, total - base.stat().st_size)
    small, big, cleanup = workdir / "small.tar", workdir / "big.tar", workdir / "cleanup.tar"
    _small_files_layer(small, int(total * SMALL_FILES_SHARE), rng)
    _big_files_layer(big, total - int(total * SMALL_FILES_SHARE), rng)
    _cleanup_layer(cleanup)
    layers += [LayerSpec("COPY data /srv/data", tar_path=small), LayerSpec("COPY blobs /srv/blobs", tar_path=big),
               LayerSpec("RUN cleanup", tar_path=cleanup)]
    spec = ImageSpec(layers=tuple(layers), config={"Cmd": ["/bin/sh"]}, tag="regate-bench/image:1")
    return write_docker_archive(spec, workdir / "image.tar")


# VmHWM, not ru_maxrss: Linux carries the parent's high-water mark across
# fork and exec into ru_maxrss, so a big parent would hide the child's peak.
_CHILD = """
import json, re, sys, time
from pathlib import Path
from regate.extract.base import ExtractOptions
from regate.extract.image import extract_image_path
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
baseline = hwm()
started, cpu = time.perf_counter(), time.process_time()
if sys.argv[1] != "imports-only":
    facts = extract_image_path(Path(sys.argv[1]), ExtractOptions(run_syft=False)).facts
else:
    facts = {"files": {}, "secrets": {}}
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "peak_rss_kb": hwm(), "import_rss_kb": baseline,
                  "files": len(facts["files"]), "secrets": len(facts["secrets"])}))
"""


def measure(target: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, target], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--debian", action="store_true", help="use the cached mmdebstrap archive as base layer")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    debian = None
    if args.debian:
        from support.debian import debian_archive

        debian, _ = debian_archive()
    with tempfile.TemporaryDirectory(prefix="regate-bench-") as tmp:
        started = time.perf_counter()
        archive = build(args.size_mb, Path(tmp), debian)
        built = time.perf_counter() - started
        size = archive.stat().st_size
        runs = [measure(str(archive)) for _ in range(args.runs)]
        imports = measure("imports-only")
    best = min(runs, key=lambda r: r["seconds"])
    each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"image archive:        {size / 1e6:,.1f} MB ({'debian + ' if debian else ''}synthetic, built in {built:.1f} s)")
    print(f"files in final fs:    {best['files']:,}")
    print(f"secrets found:        {best['secrets']:,}")
    print(f"extraction time:      {best['seconds']:.2f} s best of {len(runs)} "
          f"(runs: {each}; cpu {best['cpu']:.2f} s)")
    print(f"throughput:           {size / 1e6 / best['seconds']:,.0f} MB/s")
    print(f"peak RSS:             {max(r['peak_rss_kb'] for r in runs) / 1024:,.1f} MB "
          f"(Python with regate imported: {imports['peak_rss_kb'] / 1024:,.1f} MB)")


if __name__ == "__main__":
    main()
