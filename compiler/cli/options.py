"""Options several commands share, in a module light enough for any command to import."""

from __future__ import annotations

from pathlib import Path

import click


def analysis_options(command):
    """What regate looks for in the images it reads, beyond packages: the options `extract` and `check` share."""
    options = [
        click.option("--content-search", "content_search", multiple=True, metavar="NAME=REGEX",
                     help="Also search the files of images regate reads for this named RE2 regex "
                          "(repeatable; files[].content_matches)."),
        click.option("--malware-scan", is_flag=True,
                     help="Scan the files of images regate reads with ClamAV's clamscan (the malware collection)."),
        click.option("--clamav-db", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
                     help="Directory of ClamAV signature databases for --malware-scan (default: clamscan's own)."),
        click.option("--dockerfile", type=click.Path(path_type=Path), metavar="FILE",
                     help="The Dockerfile the image was built from (image.dockerfile, mode actual; else guessed "
                          "from the history)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
