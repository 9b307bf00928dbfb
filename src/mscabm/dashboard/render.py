"""Render the tissue as one image: a field heatmap with every cell stamped on top, in numpy.

No matplotlib artist per cell: the field (ny, nx) is colour-mapped through a 256-entry
lookup table and resampled to the view by integer indexing, then each cell is a small disc
written into the RGB array by a numba loop (stamp offset by offset, as the plain reference in
tests/test_dashboard.py writes them with fancy indexing). 10^5 cells on a 500 x 500 lattice
render in tens of milliseconds (``benchmarks/bench_render.py``).

Image convention: x to the right, y **up** (row 0 is the top of the view, y = y_max), as in
Mesa's and matplotlib's space plots. :func:`pixel_to_um` inverts the mapping (cell picking).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

#: base colour per cell type (RGB 0-255); unknown types get a tab10 colour
TYPE_COLOURS: dict[str, tuple[int, int, int]] = {
    "MSC": (255, 127, 14),   # orange
    "T": (31, 119, 180),     # blue
    "B": (44, 160, 44),      # green
    "NK": (214, 39, 40),     # red
    "DC": (148, 103, 189),   # purple
    "MAC": (227, 119, 194),  # pink
    "CD8": (23, 190, 207),   # cyan
    "TISSUE": (140, 86, 75),  # brown
    "PDC": (188, 189, 34),   # olive
    "NEUT": (255, 215, 0),   # gold
    "KERAT": (250, 200, 160),  # skin
    "EPI": (199, 199, 199),  # light grey
}
_TAB10 = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
          (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
APOPTOTIC_COLOUR = (110, 110, 110)
NOT_APPLICABLE_COLOUR = (70, 70, 78)  # colour by a number the cell's type does not carry
BACKGROUND = (24, 24, 28)


def _lut(name: str) -> np.ndarray:
    import matplotlib

    cmap = matplotlib.colormaps[name]
    return (cmap(np.linspace(0.0, 1.0, 256))[:, :3] * 255).round().astype(np.uint8)


_LUTS: dict[str, np.ndarray] = {}


def colormap_lut(name: str = "viridis") -> np.ndarray:
    """(256, 3) uint8 lookup table of a matplotlib colormap (cached)."""
    if name not in _LUTS:
        _LUTS[name] = _lut(name)
    return _LUTS[name]


#: share of the type's colour in its first (resting) state; the rest is white. 0.6 keeps a naive T
#: cell (pale blue) and a resting MSC (pale orange) apart at a few pixels (0.4 made both near-white)
FIRST_STATE_SHADE = 0.6


def state_colour(base: tuple[int, int, int], s: int, n_states: int) -> tuple[int, int, int]:
    """Shade of a type's colour for its state: the first (resting/naive) state is pale, the last is full."""
    f = 1.0 if n_states <= 1 else FIRST_STATE_SHADE + (1.0 - FIRST_STATE_SHADE) * s / (n_states - 1)
    return tuple(int(round(255 * (1 - f) + c * f)) for c in base)


def palette(type_names, state_names) -> np.ndarray:
    """(n_types, n_states_max + 1, 3) uint8: colour of each (type, state); the last column is apoptotic."""
    n_states = max(len(s) for s in state_names)
    lut = np.zeros((len(type_names), n_states + 1, 3), dtype=np.uint8)
    for t, name in enumerate(type_names):
        base = TYPE_COLOURS.get(name, _TAB10[t % len(_TAB10)])
        for s in range(len(state_names[t])):
            lut[t, s] = state_colour(base, s, len(state_names[t]))
        lut[t, n_states] = APOPTOTIC_COLOUR
    return lut


def legend(type_names, state_names) -> list[tuple[str, str, str]]:
    """(type, state, '#rrggbb') for every (type, state), in table order."""
    lut = palette(type_names, state_names)
    return [(t, s, "#%02x%02x%02x" % tuple(int(c) for c in lut[i, j]))
            for i, t in enumerate(type_names) for j, s in enumerate(state_names[i])]


@dataclass
class View:
    """What to draw: the window (um), the field (name or None), and the output size (px)."""

    x0: float
    x1: float
    y0: float
    y1: float
    width_px: int = 600
    height_px: int = 600
    field: str | None = None
    vmin: float | None = None   # None: 0
    vmax: float | None = None   # None: the field's maximum in view (or 1 if flat)
    cmap: str = "viridis"
    outline: bool | None = None  # None: dark outlines when cells are at least 2 px across (by zoom)
    highlight: int | None = None  # a cell id drawn with a white ring
    min_radius_px: int = 1        # smallest disc (1: 3 x 3 px pluses, so 10^4 cells are not one-pixel speckle)


@dataclass
class Frame:
    """A rendered view: the RGB array, the colour scale used and how many cells were drawn.

    ``flat``: the field is one value everywhere in view (e.g. all zero): the colour scale says
    nothing and the page shows the value instead of a colour bar. ``step`` and ``time_min``: the
    model's clock when its :class:`Picture` was taken (-1 and NaN for arrays drawn directly);
    ``source_id``: ``id()`` of that model (0 for arrays drawn directly)."""

    rgb: np.ndarray
    vmin: float
    vmax: float
    n_drawn: int
    flat: bool = False
    step: int = -1
    time_min: float = float("nan")
    source_id: int = 0


def full_view(width_um: float, height_um: float, width_px: int = 600, **kw) -> View:
    """The whole domain, keeping its aspect ratio."""
    height_px = max(1, int(round(width_px * height_um / width_um)))
    return View(0.0, width_um, 0.0, height_um, width_px, height_px, **kw)


def zoom_view(view: View, cx_um: float, cy_um: float, factor: float, width_um: float, height_um: float) -> View:
    """The window ``factor`` times smaller than the domain, centred on (cx, cy), kept inside the domain."""
    factor = max(1.0, float(factor))
    w, h = width_um / factor, height_um / factor
    x0 = min(max(cx_um - w / 2, 0.0), width_um - w)
    y0 = min(max(cy_um - h / 2, 0.0), height_um - h)
    return replace(view, x0=x0, x1=x0 + w, y0=y0, y1=y0 + h)


def pixel_to_um(view: View, px: float, py: float) -> tuple[float, float]:
    """Domain coordinates (um) of an image pixel (column px, row py)."""
    return (view.x0 + (px + 0.5) * (view.x1 - view.x0) / view.width_px,
            view.y1 - (py + 0.5) * (view.y1 - view.y0) / view.height_px)


_STAMPS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _stamp(r: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel offsets of a disc of radius r (r = 0: one pixel)."""
    if r not in _STAMPS:
        d = np.arange(-r, r + 1)
        dy, dx = np.meshgrid(d, d, indexing="ij")
        keep = dx * dx + dy * dy <= r * r + r  # slightly round discs at small r
        _STAMPS[r] = (dx[keep].astype(np.int32), dy[keep].astype(np.int32))
    return _STAMPS[r]


@njit(cache=True, nogil=True)
def _stamp_discs(img, px, py, dx, dy, colours):  # pragma: no cover (numba; reference in tests/test_dashboard.py)
    h, w = img.shape[0], img.shape[1]
    for j in range(dx.shape[0]):  # offset by offset, cell by cell: a later write wins, as in one
        for i in range(px.shape[0]):  # vectorised write per offset (the plain reference)
            x = px[i] + dx[j]
            y = py[i] + dy[j]
            if 0 <= x < w and 0 <= y < h:
                img[y, x, 0] = colours[i, 0]
                img[y, x, 1] = colours[i, 1]
                img[y, x, 2] = colours[i, 2]


def _draw_discs(img: np.ndarray, px: np.ndarray, py: np.ndarray, r: int, colours: np.ndarray) -> None:
    """Stamp a disc of radius ``r`` px centred on each (px, py) (N,) int32 into ``img`` (H, W, 3)
    uint8, in ``colours`` (N, 3) uint8; pixels outside the image are skipped (pixel coordinates
    must fit int32: :func:`render` passes only the cells in view). Where discs overlap,
    the write order is the stamp's offsets, then the cells in order (the last write wins)."""
    dx, dy = _stamp(r)
    _stamp_discs(img, np.ascontiguousarray(px, dtype=np.int32), np.ascontiguousarray(py, dtype=np.int32), dx, dy,
                 np.ascontiguousarray(colours, dtype=np.uint8))


def _voxel_index(data: np.ndarray, spacing_um: float, view: View) -> tuple[np.ndarray, np.ndarray]:
    """Voxel row (H,) and column (W,) of every pixel of the view (nearest voxel), int64."""
    ny, nx = data.shape
    cols = ((view.x0 + (np.arange(view.width_px) + 0.5) * (view.x1 - view.x0) / view.width_px) // spacing_um)
    rows = ((view.y1 - (np.arange(view.height_px) + 0.5) * (view.y1 - view.y0) / view.height_px) // spacing_um)
    return np.clip(rows.astype(np.int64), 0, ny - 1), np.clip(cols.astype(np.int64), 0, nx - 1)


def field_range(data: np.ndarray, spacing_um: float, view: View) -> tuple[float, float]:
    """(min, max) of the field (ny, nx) over the voxels the view shows, in the field's unit.

    Side-by-side views take the larger maximum of the two so that one colour means one level."""
    iy, ix = _voxel_index(data, spacing_um, view)
    sub = data[iy.min():iy.max() + 1, ix.min():ix.max() + 1]
    return float(sub.min()), float(sub.max())


def field_layer(data: np.ndarray, spacing_um: float, view: View, vmin: float | None, vmax: float | None,
                cmap: str) -> tuple[np.ndarray, float, float, bool]:
    """The field (ny, nx) resampled to the view (nearest voxel) and colour-mapped: (H, W, 3) uint8,
    the scale (lo, hi) used and whether the field is flat (one value) in view."""
    iy, ix = _voxel_index(data, spacing_um, view)
    sub = data[iy.min():iy.max() + 1, ix.min():ix.max() + 1]
    smin, smax = float(sub.min()), float(sub.max())
    flat = not smax > smin
    lo = 0.0 if vmin is None else float(vmin)
    hi = smax if vmax is None else float(vmax)
    if not np.isfinite(hi) or hi <= lo:
        hi = lo + (abs(lo) if lo else 1.0)  # a scale with no span: keep lo at the bottom of the map
    scale = 255.0 / (hi - lo)
    # colour-map the voxels (ny*nx), then gather pixels: cheaper than mapping every pixel
    idx = np.clip((sub - lo) * scale, 0, 255).astype(np.uint8)
    rgb = colormap_lut(cmap)[idx]
    return rgb[(iy - iy.min())[:, None], (ix - ix.min())[None, :]], lo, hi, flat


def value_colours(values: np.ndarray, vmin: float, vmax: float, cmap: str = "plasma") -> np.ndarray:
    """(N, 3) uint8 colours of per-cell numbers through a colour map; NaN (the value does not apply
    to the cell, e.g. a variable its type lacks) is grey."""
    v = np.asarray(values, dtype=np.float64)
    span = vmax - vmin if vmax > vmin else 1.0
    idx = np.clip((np.nan_to_num(v, nan=vmin) - vmin) * (255.0 / span), 0, 255).astype(np.uint8)
    out = colormap_lut(cmap)[idx]
    out[~np.isfinite(v)] = NOT_APPLICABLE_COLOUR
    return out


def render(view: View, x_um: np.ndarray, y_um: np.ndarray, type_code: np.ndarray, state_code: np.ndarray,
           radius_um: np.ndarray | None, apoptotic: np.ndarray | None, colours: np.ndarray,
           field_data: np.ndarray | None = None, spacing_um: float = 10.0, ids: np.ndarray | None = None,
           cell_rgb: np.ndarray | None = None) -> Frame:
    """Rasterise cells (coloured by ``colours[type, state]``, apoptotic last column) over a field.

    ``cell_rgb`` (N, 3) uint8: each cell's own colour instead (colour by a per-cell number, see
    :func:`value_colours`); apoptotic cells stay grey."""
    flat = False
    if field_data is not None:
        img, lo, hi, flat = field_layer(field_data, spacing_um, view, view.vmin, view.vmax, view.cmap)
        img = np.ascontiguousarray(img)
    else:
        img = np.empty((view.height_px, view.width_px, 3), dtype=np.uint8)
        img[:] = BACKGROUND
        lo, hi = 0.0, 1.0
    sx = view.width_px / (view.x1 - view.x0)
    sy = view.height_px / (view.y1 - view.y0)
    inside = (x_um >= view.x0) & (x_um <= view.x1) & (y_um >= view.y0) & (y_um <= view.y1)
    rows = np.flatnonzero(inside)
    px = ((x_um[rows] - view.x0) * sx).astype(np.int32)
    py = ((view.y1 - y_um[rows]) * sy).astype(np.int32)
    t = type_code[rows].astype(np.int64)
    s = state_code[rows].astype(np.int64)
    if apoptotic is not None:
        s = np.where(apoptotic[rows], colours.shape[1] - 1, s)
    if cell_rgb is not None:
        col = np.asarray(cell_rgb, dtype=np.uint8)[rows].copy()
        if apoptotic is not None:
            col[apoptotic[rows]] = APOPTOTIC_COLOUR
    else:
        col = colours[t, s]
    if radius_um is None:
        r_px = np.full(len(rows), 2, dtype=np.int32)
    else:
        r_px = np.clip(np.round(radius_um[rows] * sx) - 0.5, view.min_radius_px, 12).astype(np.int32)
    # outlines where a disc is big enough to carry one: at zoom, or with few cells in view
    outline = view.outline if view.outline is not None else (
        len(rows) < 20_000 and (len(r_px) == 0 or float(np.median(r_px)) >= 2.0))
    for r in np.unique(r_px):
        sel = r_px == r
        if outline:
            _draw_discs(img, px[sel], py[sel], int(r) + 1, np.zeros((int(sel.sum()), 3), dtype=np.uint8))
        _draw_discs(img, px[sel], py[sel], int(r), col[sel])
    if view.highlight is not None and ids is not None:
        hit = np.flatnonzero(ids[rows] == view.highlight)
        if len(hit):
            i = hit[0]
            rr = int(r_px[i]) + 4
            ring_dx, ring_dy = _stamp(rr)
            inner = ring_dx * ring_dx + ring_dy * ring_dy > (rr - 2) ** 2
            for dx, dy in zip(ring_dx[inner], ring_dy[inner]):
                xx, yy = px[i] + dx, py[i] + dy
                if 0 <= xx < view.width_px and 0 <= yy < view.height_px:
                    img[yy, xx] = (255, 255, 255)
    return Frame(img, lo, hi, len(rows), flat)


#: "colour cells by" choices every model has (besides its per-cell variables and local field levels)
COLOUR_BY_TYPE = "type and state"
CELL_VALUE_COLUMNS: dict[str, str] = {"time in state (min)": "state_age_min", "cycle progress (0-1)": "cycle_progress"}
LOCAL_PREFIX = "local "


def colour_by_choices(variable_names, field_names) -> list[str]:
    """The "colour cells by" menu: type and state, the population's numeric columns, every per-cell
    variable (``var <name>``) and the level of every field at the cell's voxel (``local <field>``)."""
    return ([COLOUR_BY_TYPE, *CELL_VALUE_COLUMNS] + [f"var {v}" for v in variable_names]
            + [f"{LOCAL_PREFIX}{f}" for f in field_names])


def cell_values(choice: str, columns, type_code: np.ndarray, variable_names, variable_declared: np.ndarray | None,
                fields: dict[str, np.ndarray], spacing_um: float) -> np.ndarray:
    """(N,) float64 per-cell numbers for a :func:`colour_by_choices` entry (not ``COLOUR_BY_TYPE``).

    ``columns`` maps names to (N,) arrays (a Population or a snapshot DataFrame). A variable is NaN
    in cells whose type does not declare it (``variable_declared`` (n_types, V) bool); a local level
    is the field (ny, nx) at the cell's voxel."""
    if choice in CELL_VALUE_COLUMNS:
        return np.asarray(columns[CELL_VALUE_COLUMNS[choice]], dtype=np.float64)
    if choice.startswith("var "):
        name = choice[4:]
        v = np.array(columns[name], dtype=np.float64)
        if variable_declared is not None:
            k = list(variable_names).index(name)
            v[~variable_declared[np.asarray(type_code, dtype=np.int64), k]] = np.nan
        return v
    if choice.startswith(LOCAL_PREFIX):
        data = fields[choice[len(LOCAL_PREFIX):]]
        ny, nx = data.shape
        ix = np.clip((np.asarray(columns["x_um"]) // spacing_um).astype(np.int64), 0, nx - 1)
        iy = np.clip((np.asarray(columns["y_um"]) // spacing_um).astype(np.int64), 0, ny - 1)
        return data[iy, ix].astype(np.float64)
    raise KeyError(f"unknown colour-by choice {choice!r}")


def finite_range(values: np.ndarray) -> tuple[float, float]:
    """(min, max) of the finite values ((0, 1) if none)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    return (lo, hi) if hi > lo else (lo, lo + (abs(lo) if lo else 1.0))


def shared_range(arrays) -> tuple[float, float]:
    """One (min, max) over several arrays' :func:`finite_range` (side-by-side views, a replay's
    snapshots: one colour, one value); (0, 1) with no array."""
    lo, hi = np.inf, -np.inf
    for values in arrays:
        a, b = finite_range(values)
        lo, hi = min(lo, a), max(hi, b)
    return (float(lo), float(hi)) if hi >= lo else (0.0, 1.0)


def model_cell_values(model, choice: str) -> np.ndarray:
    """:func:`cell_values` of an :class:`~mscabm.model.MSCModel`'s live cells for ``choice`` (a
    :func:`colour_by_choices` entry other than ``COLOUR_BY_TYPE``)."""
    t = model.tables
    fields = {f: model.lattice.data[i] for i, f in enumerate(t.field_names)}
    return cell_values(choice, model.population, model.population["type"], t.variable_names, t.variable_declared,
                       fields, model.lattice.spacing_um)


@dataclass
class Picture:
    """What :func:`render` reads of a model, copied at one instant (:func:`picture_of`): a frame can
    then be drawn and encoded while the model steps on (the dashboard's frame thread).

    Cell arrays are (N,) for the live cells in population order; ``field`` (ny, nx) is the field the
    view shows (None: none); ``cell_rgb`` (N, 3) uint8 the colours by a per-cell number (None: by
    type and state); ``step`` and ``time_min`` the model's clock at the copy; ``source_id`` the
    model's ``id()`` (to tell a frame of a model replaced meanwhile)."""

    x_um: np.ndarray
    y_um: np.ndarray
    type_code: np.ndarray
    state_code: np.ndarray
    radius_um: np.ndarray
    apoptotic: np.ndarray
    ids: np.ndarray
    field: np.ndarray | None
    spacing_um: float
    cell_rgb: np.ndarray | None
    step: int
    time_min: float
    source_id: int


def picture_of(model, view: View, values: np.ndarray | None = None, value_range: tuple[float, float] | None = None,
               value_cmap: str = "plasma") -> Picture:
    """Copy what :func:`render` needs of an :class:`~mscabm.model.MSCModel` now (the caller holds
    whatever lock keeps the model still). ``values``: (N,) the per-cell number the cells are
    coloured by (:func:`model_cell_values`; None: by type and state), mapped through ``value_cmap``
    over ``value_range`` (None: their own finite range)."""
    t = model.tables
    pop = model.population
    field = None
    if view.field is not None:
        field = model.lattice.data[t.field_names.index(view.field)].copy()
    rgb = None
    if values is not None:
        lo, hi = value_range if value_range is not None else finite_range(values)
        rgb = value_colours(values, lo, hi, value_cmap)
    return Picture(pop["x_um"].copy(), pop["y_um"].copy(), pop["type"].copy(), pop["state"].copy(),
                   pop["radius_um"].copy(), pop["apoptosis_left_min"] >= 0, pop["id"].copy(), field,
                   model.lattice.spacing_um, rgb, int(model.steps), float(model.time), id(model))


def render_picture(picture: Picture, view: View, colours: np.ndarray) -> Frame:
    """Render a :class:`Picture` (``colours``: :func:`palette` of the model's types and states)."""
    p = picture
    frame = render(view, p.x_um, p.y_um, p.type_code, p.state_code, p.radius_um, p.apoptotic, colours, p.field,
                   p.spacing_um, ids=p.ids, cell_rgb=p.cell_rgb)
    return replace(frame, step=p.step, time_min=p.time_min, source_id=p.source_id)


def render_model(model, view: View, colours: np.ndarray | None = None, colour_by: str = COLOUR_BY_TYPE,
                 value_range: tuple[float, float] | None = None, value_cmap: str = "plasma") -> Frame:
    """Render an :class:`~mscabm.model.MSCModel`'s current state (:func:`picture_of`, then
    :func:`render_picture`; ``colours`` None: the model's :func:`palette`)."""
    if colours is None:
        colours = palette(model.tables.type_names, model.tables.state_names)
    values = None if colour_by == COLOUR_BY_TYPE else model_cell_values(model, colour_by)
    return render_picture(picture_of(model, view, values, value_range, value_cmap), view, colours)


def encode_png(rgb: np.ndarray, compress_level: int = 1) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 array: rows unfiltered, zlib at ``compress_level`` (0-9).

    Written here, not through Pillow: Pillow's adaptive row filters cost ~3x the whole encode
    (600 x 600 frame at 10^4 cells: 10 ms vs 3.5 ms, and 103 KB vs 95 KB), and a frame is encoded
    every time the live page is sent one. Any PNG reader decodes it (tests/test_dashboard.py)."""
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8 or 0 in a.shape:
        raise ValueError(f"encode_png: expected a non-empty (H, W, 3) uint8 array, got {a.dtype} {a.shape}")
    a = np.ascontiguousarray(a)
    h, w, _ = a.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)  # each row: filter type 0 (none), then its pixels
    rows[:, 1:] = a.reshape(h, 3 * w)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, deflate, no interlace
    data = zlib.compress(rows.tobytes(), compress_level)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def colourbar_png(cmap: str = "viridis", height: int = 200, width: int = 16) -> bytes:
    """A vertical colour bar (top = high) as PNG bytes."""
    lut = colormap_lut(cmap)
    idx = np.linspace(255, 0, height).astype(np.int64)
    return encode_png(np.ascontiguousarray(np.repeat(lut[idx][:, None, :], width, axis=1)))


def figure_png(panels, legend_items, field_label: str | None, title: str = "", value_label: str | None = None,
               value_range: tuple[float, float] | None = None, value_cmap: str = "plasma") -> bytes:
    """A publication-style PNG of one or more views side by side (axes in um, one colour bar with
    units for the field scale they share, legend), via matplotlib.

    ``panels``: (Frame, View, caption) per view. One ``imshow`` per rasterised frame: the cost does
    not grow with the cell count. Saved with a tight bounding box, so no axis label is clipped.
    ``value_label``/``value_range``: cells coloured by a per-cell number get their own colour bar
    instead of the type legend."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.cm as cm
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    n = len(panels)
    fig = Figure(figsize=(5.6 * n + 1.6, 7.0), dpi=110, layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (frame, view, caption) in zip(axes, panels):
        ax.imshow(frame.rgb, extent=(view.x0, view.x1, view.y0, view.y1), origin="upper", interpolation="nearest")
        ax.set_xlabel("x (um)")
        ax.set_ylabel("y (um)")
        if caption and n > 1:
            ax.set_title(caption, fontsize=10)
    if title:
        fig.suptitle(title)
    frame, view = panels[0][0], panels[0][1]
    if field_label:
        flat = all(p[0].flat for p in panels)
        label = field_label + (" (one level everywhere in view)" if flat else "")
        sm = cm.ScalarMappable(norm=Normalize(frame.vmin, frame.vmax), cmap=view.cmap)
        fig.colorbar(sm, ax=list(axes), label=label, shrink=0.9)
    if value_label:
        lo, hi = value_range or (0.0, 1.0)
        sm = cm.ScalarMappable(norm=Normalize(lo, hi), cmap=value_cmap)
        fig.colorbar(sm, ax=list(axes), label=f"cells: {value_label}", shrink=0.9)
    else:
        handles = [Patch(color=c, label=f"{t} {s}") for t, s, c in legend_items]
        handles.append(Patch(color="#%02x%02x%02x" % APOPTOTIC_COLOUR, label="apoptotic"))
        fig.legend(handles=handles, loc="outside lower center", ncol=6 if n == 1 else 9, fontsize=7, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.15)
    return buf.getvalue()
