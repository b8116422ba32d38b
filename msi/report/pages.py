"""The report's HTML: the summary page (compare table, per-utterance table, method figure,
warnings) and one page per utterance (videos in sync, timelines, worst windows, slice strips).

Pages are plain HTML with the page's data embedded as JSON (``file://`` pages cannot fetch
files) and one script and stylesheet of our own in ``assets/`` (no CDN, nothing loaded from the
network). Strings in, strings out: no file I/O here.
"""
from __future__ import annotations

import html
import json
import math

from msi.report.plan import Plan, Utterance

HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
<link rel="stylesheet" href="{up}assets/report.css">
</head>
<body class="{kind}">
"""


def esc(x) -> str:
    return html.escape(str(x), quote=True)


def embed_json(data) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` can end it early)."""
    return json.dumps(data, allow_nan=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def _num(x, fmt: str = "{:.3f}") -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else fmt.format(x)


def _sort_key(x) -> str:
    return "" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{float(x):.6g}"


def summary_page(title: str, plan: Plan, header: list[str], table: list[list[str]], means: list[list[float | None]],
                 assets: dict[str, dict], warnings: list[str], figure: str | None, settings_line: str) -> str:
    """index.html. ``header``/``table``: the compare table (:func:`msi.report.tables.wide_table`);
    ``means``: the number each cell sorts by; ``assets``: :func:`msi.report.collect.video_assets`
    records by key."""
    out = [HEAD.format(title=esc(title), up="", kind="summary"), f"<h1>{esc(title)}</h1>",
           f"<p class=meta>{len(plan.utterances)} utterance(s) × {len(plan.methods)} method(s). {esc(settings_line)}</p>"]
    out.append("<h2>Methods</h2><p class=hint>mean [95% CI] (n = videos) p = paired Wilcoxon vs the reference; "
               "click a header to sort.</p>")
    out.append('<div class=scroll><table class="sortable compare"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in header)
               + "</tr></thead><tbody>")
    for r, m in zip(table, means):
        cells = [f'<td><a href="#videos" data-method="{esc(r[0])}">{esc(r[0])}</a></td>']
        cells += [f'<td data-sort="{_sort_key(v)}">{esc(c)}</td>' for c, v in zip(r[1:-1], m)]
        cells.append(f'<td data-sort="{esc(r[-1])}">{esc(r[-1])}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    if figure:
        out.append(f'<figure><img class=figure src="{esc(figure)}" alt="every method\'s mean and 95% CI per metric">'
                   "<figcaption>Every method's mean and 95% CI per metric (msi compare --plot).</figcaption></figure>")
    out.append(f"<h2>Warnings ({len(warnings)})</h2>")
    out.append("<ul class=warnings>" + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul>" if warnings
               else "<p>None.</p>")
    out.append('<h2 id="videos">Utterances</h2><p class=hint>MSI-Lip / MSI-Jaw per video (higher = steadier); '
               "click a cell to watch every method of that utterance in sync.</p>")
    out.append('<table class="sortable videos"><thead><tr><th>utterance</th>'
               + "".join(f"<th>{esc(m)}</th>" for m in plan.methods) + "</tr></thead><tbody>")
    for u in plan.utterances:
        cells = [f'<td><a href="u/{esc(u.slug)}.html">{esc(u.name)}</a></td>']
        for j, c in enumerate(u.cells):
            a = assets.get(c.key, {})
            if c.row is None:
                cells.append('<td class=gap data-sort="">missing</td>')
            elif c.error or a.get("error"):
                cells.append(f'<td class=error data-sort="" title="{esc(c.error or a["error"])}">error: '
                             f"{esc(c.error or a['error'])}</td>")
            else:
                lip, jaw = c.row.get("msi_lip"), c.row.get("msi_jaw")
                cells.append(f'<td data-sort="{_sort_key(lip)}"><a href="u/{esc(u.slug)}.html#lane-m{j}">'
                             f"{_num(lip)} / {_num(jaw)}</a></td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    out.append('<script src="assets/report.js"></script></body></html>\n')
    return "\n".join(out)


def utterance_data(u: Utterance, assets: dict[str, dict]) -> dict:
    """The JSON the utterance page's script draws from: one lane per video (the truth first)."""
    lanes = []
    if u.truth:
        a = assets.get(u.truth_key, {})
        lanes.append(_lane("truth", "truth", None, a, a.get("error")))
    for j, c in enumerate(u.cells):
        a = assets.get(c.key, {})
        if c.row is None:
            lanes.append({"id": f"m{j}", "label": c.method, "kind": "method", "state": "missing",
                          "reason": f"{c.method} has no video named {u.name}"})
        else:
            warn = c.row.get("warnings") or []
            lanes.append(_lane(f"m{j}", c.method, warn, a, c.error or a.get("error")))
    ok = [ln for ln in lanes if ln["state"] == "ok"]
    fps = next((ln["fps"] for ln in ok if ln.get("fps")), 25.0)
    duration = max((ln.get("duration") or 0 for ln in ok), default=0.0)
    return {"name": u.name, "fps": fps, "duration": duration, "lanes": lanes,
            "truth": 0 if u.truth and lanes and lanes[0]["state"] == "ok" else None}


def _lane(lane_id: str, label: str, warn, a: dict, error: str | None) -> dict:
    if error:
        return {"id": lane_id, "label": label, "kind": "truth" if lane_id == "truth" else "method",
                "state": "error", "reason": error}
    keep = ("video", "preview", "fps", "duration", "msi_lip", "msi_jaw", "timeline", "worst", "opening", "slice",
            "slice_frames", "slice_x", "slice_span", "analysis_error", "preview_error", "slice_error", "face_coverage")
    lane = {"id": lane_id, "label": label, "kind": "truth" if lane_id == "truth" else "method", "state": "ok",
            "path": a.get("path"), **{k: a[k] for k in keep if k in a}}
    if isinstance(warn, list):
        lane["warnings"] = warn
    return lane


def utterance_page(title: str, u: Utterance, data: dict, prev: str | None, next_: str | None) -> str:
    """u/<slug>.html: the controls and empty containers; ``assets/report.js`` fills them from ``data``."""
    nav = ['<a href="../index.html">← summary</a>']
    if prev:
        nav.append(f'<a href="{esc(prev)}.html" rel="prev">← previous</a>')
    if next_:
        nav.append(f'<a href="{esc(next_)}.html" rel="next">next →</a>')
    return "\n".join([
        HEAD.format(title=f"{esc(u.name)} · {esc(title)}", up="../", kind="utterance"),
        f"<nav>{' · '.join(nav)}</nav>",
        f"<h1>{esc(u.name)}</h1>",
        '<div id="videos" class="videos"></div>',
        """<div id="controls" class="controls">
<button id="play" title="play / pause (space)">▶ play</button>
<button id="back" title="one frame back (←)">◀ frame</button>
<button id="fwd" title="one frame forward (→)">frame ▶</button>
<input id="seek" type="range" min="0" max="1000" value="0" step="1" aria-label="seek">
<span id="clock" class="clock">0.000 s</span>
<label title="loop between A and B"><input id="loop" type="checkbox"> loop</label>
<label>A <input id="loopA" type="number" step="0.04" min="0" value="0"></label>
<label>B <input id="loopB" type="number" step="0.04" min="0" value="0"></label>
<button id="setA" title="A = now">A=now</button><button id="setB" title="B = now">B=now</button>
<label>speed <select id="rate"><option>0.25</option><option>0.5</option><option selected>1</option></select></label>
<label>sound <select id="sound"></select></label>
</div>""",
        '<h2>Worst windows</h2><p class=hint>Lowest mean of MSI-Lip and MSI-Jaw per video, not overlapping. '
        "Click one: every video seeks there and loops it.</p>",
        '<table id="worst" class="worst"><thead><tr><th>video</th><th>worst windows, lowest MSI first</th></tr></thead>'
        "<tbody></tbody></table>",
        "<h2>Over time</h2><p class=hint>Per video: MSI per 12-acceleration window (red lip, blue jaw; worst "
        "windows shaded), mouth opening in mouth widths (black; the truth's dashed grey), and the vertical "
        "slice through the mouth (jagged edges = jitter). One time axis; click to seek.</p>",
        '<div id="lanes" class="lanes"></div>',
        f'<script id="report-data" type="application/json">{embed_json(data)}</script>',
        '<script src="../assets/report.js"></script></body></html>\n',
    ])
