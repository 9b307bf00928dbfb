"""Solara components every dashboard page shares: the tissue image, legend, colour bar, messages.

The live page (:mod:`mscabm.dashboard.app`), the replay of a run folder
(:mod:`mscabm.dashboard.replay_page`) and the results browser
(:mod:`mscabm.dashboard.results_page`) draw with these, so a view looks the same wherever it is.
"""

from __future__ import annotations

import base64
from html import escape

import solara

from mscabm.dashboard import render as R

#: the speed menu: label -> simulated hours per wall-clock second (None: as fast as it steps)
SPEEDS: dict[str, float | None] = {"as fast as it runs": None, "15 min/s": 0.25, "1 h/s": 1.0, "4 h/s": 4.0,
                                   "12 h/s": 12.0, "1 day/s": 24.0, "4 days/s": 96.0}


def png_src(png: bytes) -> str:
    """A data: URL of PNG bytes (what an ``<img>`` shows)."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


@solara.component
def Tissue(png: bytes, width: int, cls: str, on_click=None, caption: str = "", on_widget=None):
    """One tissue view; ``on_click(event)`` gets the click's ``offsetX``/``offsetY`` in image pixels.

    The image is a widget this component creates and owns (not an element Solara re-applies on
    every re-render), so a play loop can send new frames to it directly (``on_widget(widget)`` hands
    it over; ``widget.attributes`` carries the ``src``) and no re-render of the page puts an older
    frame back."""
    clicked = solara.use_ref(on_click)
    clicked.current = on_click

    def make():
        import ipyvue

        w = ipyvue.Html(tag="img", class_=cls, style_=f"width:{width}px;image-rendering:pixelated;cursor:crosshair",
                        attributes={"width": str(width)})
        w.on_event("click", lambda _w, _name, data: clicked.current(data) if clicked.current is not None else None)
        return w

    widget = solara.use_memo(make, [cls, width])
    solara.use_effect(lambda: widget.close, [widget])  # a replaced widget is closed, not leaked
    src = png_src(png)
    last = solara.use_ref(None)
    if last.current != src:  # a new picture from this render (not from the play loop): show it
        widget.attributes = {"src": src, "width": str(width)}
        last.current = src
    if on_widget is not None:
        on_widget(widget)
    with solara.Column(gap="2px", style=f"flex:0 0 auto;width:{width}px"):
        if caption:
            solara.Text(caption, style="font-weight:600")
        solara.Column(children=[widget], style=f"padding:0;width:{width}px")


@solara.component
def Legend(items, value_label: str | None = None, value_range: tuple[float, float] | None = None,
           value_cmap: str = "plasma"):
    """The colour of every (type, state); or, when cells are coloured by a number, that number's scale."""
    if value_label:
        lo, hi = value_range or (0.0, 1.0)
        bar = png_src(R.encode_png(R.colormap_lut(value_cmap)[None, :, :].repeat(12, axis=0)))
        na = "#%02x%02x%02x" % R.NOT_APPLICABLE_COLOUR
        solara.HTML(tag="div", classes=["mscabm-legend"], style="font-size:12px;max-width:900px", unsafe_innerHTML=(
            f'cells coloured by <b>{escape(value_label)}</b>: {lo:.3g} <img src="{bar}" style="width:200px;height:12px;'
            f'vertical-align:middle"/> {hi:.3g} &nbsp; <span style="display:inline-block;width:11px;height:11px;'
            f'border-radius:6px;background:{na};border:1px solid #222"></span> not carried by the type'))
        return
    html = " ".join(f'<span style="white-space:nowrap;margin-right:8px"><span style="display:inline-block;width:11px;'
                    f'height:11px;border-radius:6px;background:{c};border:1px solid #222"></span> {escape(t)} '
                    f'{escape(s)}</span>' for t, s, c in items)
    html += (' <span style="white-space:nowrap"><span style="display:inline-block;width:11px;height:11px;'
             'border-radius:6px;background:#6e6e6e;border:1px solid #222"></span> apoptotic</span>')
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["mscabm-legend"], style="font-size:12px;max-width:900px")


@solara.component
def ColourBar(label: str | None, vmin: float, vmax: float, cmap: str, height: int, flat: bool = False,
              fixed: bool = False, shared: bool = False):
    """The field's colour scale, ``height`` px tall (the view's height): "fixed" (set by the user or,
    in a replay, the run's maximum), "shared" (automatic, one scale for side-by-side views) or
    "automatic". A field with one level everywhere in view shows that level in words instead of a
    meaningless bar."""
    label = escape(label) if label else label
    if not label:
        return
    if flat and not fixed:
        solara.HTML(tag="div", classes=["mscabm-colourbar"], style="font-size:12px;max-width:90px",
                    unsafe_innerHTML=f"{label}: <b>{vmin:.3g}</b> everywhere in view (no colour scale)")
        return
    png = png_src(R.colourbar_png(cmap, height=height - 40))
    note = "fixed" if fixed else ("shared" if shared else "automatic")
    solara.HTML(tag="div", classes=["mscabm-colourbar"], style="font-size:12px;text-align:center",
                unsafe_innerHTML=f'<div class="mscabm-vmax">{vmax:.3g}</div><img src="{png}"/>'
                                 f'<div class="mscabm-vmin">{vmin:.3g}</div>'
                                 f'<div style="writing-mode:vertical-rl">{label} ({note} scale)</div>')


@solara.component
def Messages(error: str, notice: str, in_force: str = ""):
    """Error, notice and what is in force, kept in view at the top of the page while it scrolls
    (one component, so the page keeps its structure when they come and go)."""
    with solara.Column(gap="4px", style="position:sticky;top:0;z-index:5;background:white"):
        if error:
            solara.Error(error, classes=["mscabm-error"])
        if notice:
            solara.Info(notice, dense=True, classes=["mscabm-notice"])
        if in_force:
            solara.Text(in_force, classes=["mscabm-in-force"], style="font-size:12px;color:#444")


@solara.component
def Inspector(info: dict | None, missing: str = ""):
    """A cell's attributes as a table (``info``), or a warning that it is gone."""
    if missing:
        solara.Warning(missing)
    if info:
        rows = "".join(f"<tr><td>{escape(str(k))}</td><td style='text-align:right'>{escape(str(v))}</td></tr>"
                       for k, v in info.items())
        solara.HTML(tag="table", unsafe_innerHTML=rows, classes=["mscabm-inspector"], style="font-size:12px")


@solara.component
def FolderPage(path: str, open_folder, view, title: str):
    """A page over an output folder: ``open_folder(path)`` reads it (a ConfigError, OSError or
    ValueError becomes an error in the page, not a traceback), ``view(folder)`` draws it."""
    from mscabm.schema import ConfigError

    def opened():
        try:
            return open_folder(path), ""
        except (ConfigError, OSError, ValueError) as exc:
            return None, str(exc)

    folder, error = solara.use_memo(opened, [path])
    solara.Title(title)
    if folder is None:
        Messages(f"Cannot open {path}: {error}", "")
        return
    view(folder)
