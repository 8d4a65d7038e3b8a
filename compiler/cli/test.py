"""`regate test`: run the YAML tests beside policies with the real `opa test`."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import click

from ..diagnostics import Diagnostics
from .compile import report_failure


@click.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-k", "--run", "select", metavar="REGEX", help="Only cases whose name matches.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--coverage", is_flag=True, help="Report policy rules and conditions the tests never exercised.")
@click.option("--threshold", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --coverage: fail (exit 1) when coverage of policy lines is below this.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds before opa test is stopped.")
def test_command(paths, select, fmt, coverage, threshold, output, timeout):
    """Run policy tests (*_test.yaml beside the policies). Exit 0 all passed, 1 a test failed, 2 error."""
    from ..atomic import write_atomically
    from ..testing import output as render
    from ..testing.runner import policy_sets, run_set

    try:
        pattern = re.compile(select) if select else None
    except re.error as exc:
        raise click.BadParameter(f"not a regular expression: {exc}", param_hint="--run") from None
    started = time.perf_counter()
    results = []
    for root in policy_sets(list(paths)):
        try:
            results.append(run_set(root, pattern, coverage or threshold is not None, timeout))
        except Diagnostics as found:
            report_failure(found, [root])
            sys.exit(2)
    seconds = time.perf_counter() - started
    report = {"text": lambda: render.text(results, seconds, threshold), "json": lambda: render.as_json(results, seconds),
              "junit": lambda: render.junit(results, seconds)}[fmt]()
    if output:
        write_atomically(output, report.encode("utf-8"))
    else:
        click.echo(report, nl=False)
    statuses = [r.status for s in results for r in s.results]
    if "ERROR" in statuses:
        sys.exit(2)
    below = threshold is not None and any(s.coverage and s.coverage.percent < threshold for s in results)
    if "FAIL" in statuses or below:
        sys.exit(1)
    if not statuses:
        # Nothing tested is not a pass: a misnamed test file or a -k that matches nothing
        # would otherwise turn a CI step green.
        what = "no test case matches --run" if pattern else "no test cases found (test files are named *_test.yaml)"
        click.echo(f"regate: {what}", err=True)
        sys.exit(2)
