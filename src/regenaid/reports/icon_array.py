"""Icon arrays (pictographs) of natural frequencies, as small server-rendered SVG.

Out of ``total`` people (a 10-wide grid), ``count`` are filled. With ``baseline`` (the number
of 100 who have the outcome with the comparator, e.g. placebo), the first ``baseline`` of the
filled icons are drawn in a lighter shade: the darker ones are the people for whom the option
made the difference. ``palette`` ``harm`` draws harms in warm colours. Colours are presentation
attributes, not ``style``, so the SVG is allowed under a strict Content-Security-Policy.
Pictographs of absolute numbers follow SHARE-IT/MAGICapp practice and IPDAS probability items.
"""

from __future__ import annotations

from markupsafe import Markup, escape

FILLED = "#1d5e8c"
EMPTY = "#d5dde5"
BASELINE = "#8db3d1"  # benefit that the comparator gives too
HARM = "#a3402b"
HARM_BASELINE = "#e0a597"  # harm that the comparator causes too
PALETTES: dict[str, tuple[str, str]] = {
    "benefit": (FILLED, BASELINE),
    "harm": (HARM, HARM_BASELINE),
}


def icon_array_svg(
    count: int,
    label: str,
    total: int = 100,
    columns: int = 10,
    uid: str = "ia",
    *,
    baseline: int | None = None,
    palette: str = "benefit",
) -> Markup:
    """An accessible SVG with ``count`` of ``total`` person icons filled (the first
    ``baseline`` of them in the lighter shade of ``palette``: ``benefit`` or ``harm``).

    The person shape is defined once (``<defs>``, id ``uid`` — unique on the page) and placed
    with ``<use>``, which keeps a 100-icon array near 5 kB.
    """
    if total <= 0 or columns <= 0:
        raise ValueError("total and columns must be positive")
    if palette not in PALETTES:
        raise ValueError(f"palette must be one of {', '.join(PALETTES)}")
    count = max(0, min(total, count))
    light = max(0, min(count, baseline or 0))
    filled, shade = PALETTES[palette]
    size = 12
    rows = -(-total // columns)
    width, height = columns * size, rows * size
    safe_uid = escape(uid)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="icon-array" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width * 1.4:g}" height="{height * 1.4:g}" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<defs><g id="{safe_uid}"><circle cx="6" cy="3.5" r="2.5"/>'
        f'<rect x="3" y="6.5" width="6" height="4.5" rx="2"/></g></defs>'
    ]
    for i in range(total):
        x, y = (i % columns) * size, (i // columns) * size
        fill = shade if i < light else filled if i < count else EMPTY
        parts.append(f'<use href="#{safe_uid}" x="{x}" y="{y}" fill="{fill}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
