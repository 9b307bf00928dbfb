"""The live page's per-session state: Solara reactive values (each browser session has its own).

``tick`` re-renders the status line, inspector, colour bar and legend; ``frame_tick`` the tissue
views; ``chart_tick`` the charts; ``page_tick`` the whole page. :func:`bump` after a user action.
"""

from __future__ import annotations

import solara

from mscabm.dashboard.views import SPEEDS

playing = solara.reactive(False)
tick = solara.reactive(0)          # status, inspector, colour bar, legend (STATUS_EVERY_S while playing)
frame_tick = solara.reactive(0)    # re-render the tissue views (user actions; frames while playing go direct)
chart_tick = solara.reactive(0)    # new chart
page_tick = solara.reactive(0)     # settings changed: re-renders the whole page
speed = solara.reactive(next(iter(SPEEDS)))
run_to_day = solara.reactive(0.0)  # pause when the simulated time reaches this many days (0: never)
chart_svg = solara.reactive("")    # the charts drawn by the chart thread while playing (inline SVG)
rule_filter = solara.reactive("")
state_type = solara.reactive("T")
cell_text = solara.reactive("")
infuse_count = solara.reactive(50)
ev_level = solara.reactive(50.0)   # MSC-EV dose, EV field unit


def bump(charts: bool = True, page: bool = False) -> None:
    tick.set(tick.value + 1)
    frame_tick.set(frame_tick.value + 1)
    if charts:
        chart_tick.set(chart_tick.value + 1)
    if page:
        page_tick.set(page_tick.value + 1)
