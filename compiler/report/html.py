"""`--format html`: one self-contained page per run — the verdict, severity
counts as a small inline SVG chart, findings grouped by action and policy with
their policy source lines, and (with --explain) the plan with before/after.

No external assets (styles inline, no scripts, no fonts or images fetched), and
nothing printed that the other formats would not print: decisions and plans are
redacted when a `Result` is made, and every string is HTML-escaped here."""

from __future__ import annotations

from html import escape

from ..engine.decision import worst_first
from ..explain.exceptions import source_lines
from . import Result, Run, data_summary, explain, location

_COLOURS = {"STOP": "#c62828", "WARN": "#e08a00", "GO": "#2e7d32", "ERROR": "#c62828"}
_SEVERITIES = ("critical", "high", "medium", "low", "negligible", "unknown", "unspecified")
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
.verdict{font-size:2.4em;font-weight:700;color:#fff;padding:.3em .6em;border-radius:.2em;display:inline-block}
h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.6em 0}
td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f5f5f5}
.tag{font-weight:700;color:#fff;padding:0 .4em;border-radius:.2em}
pre{background:#f7f7f7;padding:.4em .6em;margin:.2em 0;white-space:pre-wrap;font-size:12px}
.dim{color:#666}
.before{color:#b71c1c;text-decoration:line-through}
.after{color:#1b5e20;font-weight:600}
"""


def render(run: Run) -> str:
    verdict = "ERROR" if run.failed else run.verdict
    body = [f'<p><span class="verdict" id="verdict" style="background:{_COLOURS[verdict]}">{verdict}</span> '
            f'<span class="dim">{len(run.results)} image{"s" if len(run.results) != 1 else ""} · '
            f"failing on {run.fail_on.upper()} · regate {escape(run.regate_version)} · policy revision "
            f"{escape(run.policy.revision[:12] or 'unknown')} · OPA {escape(run.engine.opa_version)}</span></p>"]
    for result in run.results:
        body += _image(run, result)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>regate: {verdict}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _tag(action: str) -> str:
    return f'<span class="tag" style="background:{_COLOURS.get(action, "#555")}">{escape(action)}</span>'


def _image(run: Run, result: Result) -> list[str]:
    decision = result.decision
    had, lacked = data_summary(decision)
    out = [f"<h2>{escape(result.image)} {_tag(decision['final_action'])}</h2>",
           f'<p class="dim">reason: {escape(decision["final_reason"].replace("_", " "))} · data: {escape(had)}'
           f"{' · no data: ' + escape(lacked) if lacked else ''}</p>"]
    out += [f"<p><b>error:</b> {escape(str(e))}</p>" for e in decision["errors"]]
    out.append(_chart(decision["findings"]))
    groups: dict[tuple[str, str], list[dict]] = {}
    for finding in worst_first(decision["findings"]):
        groups.setdefault((finding["effective_action"], finding["policy"]), []).append(finding)
    for (action, policy), findings in groups.items():
        out.append(f"<h3>{_tag(action)} policy {escape(policy)} — {len(findings)} finding"
                   f"{'s' if len(findings) != 1 else ''}</h3>")
        out.append("<table><tr><th>Rule</th><th>Finding</th><th>Policy source</th></tr>")
        for finding in findings:
            out.append(f"<tr><td>{escape(finding['rule'])}</td><td>{escape(finding['message'])}"
                       f"{_exception(finding)}</td><td>{_source(run, finding.get('source'))}</td></tr>")
        out.append("</table>")
    if result.explanation is not None:
        out += _plan(result.explanation)
    return out


def _exception(finding: dict) -> str:
    exception = finding.get("exception")
    if not exception:
        return ""
    return (f'<div class="dim">{escape(finding["action"])} excepted by {escape(exception["id"])}'
            f"{' until ' + escape(str(exception['until'])) if exception.get('until') else ''}</div>")


def _source(run: Run, source: str | None) -> str:
    where = location(run.policy, source)
    if where is None:
        return ""
    lines = source_lines(run.policy, source, 8)
    code = f"<pre>{escape(chr(10).join(lines))}</pre>" if lines else ""
    return f'<span class="dim">{escape(where.path)}:{where.line}</span>{code}'


def _chart(findings: list[dict]) -> str:
    """Findings by severity, one bar each, as inline SVG."""
    counts = {s: 0 for s in _SEVERITIES}
    for finding in findings:
        counts[finding.get("severity") if finding.get("severity") in counts else "unspecified"] += 1
    shown = [(s, n) for s, n in counts.items() if n]
    if not shown:
        return '<p class="dim">no findings</p>'
    top = max(n for _, n in shown)
    rows = []
    for i, (severity, n) in enumerate(shown):
        width = max(round(260 * n / top), 2)
        y = i * 22
        rows.append(f'<text x="0" y="{y + 15}" font-size="12">{severity}</text>'
                    f'<rect x="90" y="{y + 3}" width="{width}" height="16" fill="{_bar(severity)}"/>'
                    f'<text x="{96 + width}" y="{y + 15}" font-size="12">{n}</text>')
    return (f'<svg role="img" aria-label="findings by severity" width="400" height="{len(shown) * 22 + 4}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(rows)}</svg>')


def _bar(severity: str) -> str:
    return {"critical": "#b71c1c", "high": "#e65100", "medium": "#f9a825", "low": "#1565c0"}.get(severity, "#9e9e9e")


def _plan(explanation: dict) -> list[str]:
    out = ["<h3>How to pass (--explain)</h3>", f"<p><b>{escape(explain.headline(explanation))}</b></p>"]
    if explanation.get("rebuild_base"):
        out.append(f"<p>⇒ {escape(explanation['rebuild_base']['summary'])}</p>")
    if explanation["plan"]:
        out.append("<table><tr><th>Change</th><th>Before</th><th>After</th><th>Clears</th></tr>")
        for change in explanation["plan"]:
            after = change["after"] if isinstance(change["after"], str) else ("removed" if change["after"] is None else "added")
            out.append(f"<tr><td>{escape(change['summary'])}</td><td class=\"before\">{escape(str(change['before'] or '—'))}"
                       f"</td><td class=\"after\">{escape(after)}</td><td>{len(change['clears'])}</td></tr>")
        out.append("</table>")
    if explanation["proof"]["remaining"]:
        out.append("<p>Remaining after the plan:</p><ul>")
        out += [f"<li>{escape(line)}</li>" for line in explain.remaining_lines(explanation)]
        out.append("</ul>")
    if explanation["exceptions"]:
        out.append("<p class=\"dim\">Exceptions that would be needed (last resort, not applied):</p>")
        out.append(f"<pre>{escape(chr(10).join(e['exception'] for e in explanation['exceptions']))}</pre>")
    return out
