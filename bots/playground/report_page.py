"""The playground's report page: the summary and every chart of one report, as plain HTML.

Every string is escaped; the page has no script (the server's Content-Security-Policy holds), and
its images and CSV come from the same person-only download addresses as the links in the DM.
"""

from __future__ import annotations

from html import escape

from bots.playground.downloads import Bundle


def report_html(bundle: Bundle) -> str:
    lines = "\n".join(f"<li>{escape(line)}</li>" for line in bundle.lines if line.strip() and line != bundle.title)
    charts = "\n".join(
        f'<figure><img src="{escape(bundle.url(name))}" alt="{escape(title)}" width="800" height="480">'
        f"<figcaption>{escape(title)}</figcaption></figure>"
        for name, title, media in bundle.files
        if media == "image/png"
    )
    others = "\n".join(
        f'<li><a href="{escape(bundle.url(name))}">{escape(title)} ({escape(name)})</a></li>'
        for name, title, media in bundle.files
        if media != "image/png"
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(bundle.title)}</title>
<link rel="stylesheet" href="/static/report.css">
</head>
<body class="report">
<main>
<h1>{escape(bundle.title)}</h1>
<ul class="summary">
{lines}
</ul>
<section class="charts">
{charts}
</section>
<h2>Download</h2>
<ul class="downloads">
{others}
</ul>
</main>
</body>
</html>
"""
