"""Recording a live run's frames for a movie: the tissue images the page showed, kept in memory as PNGs.

While recording is on, every frame the frame thread sends to the page is kept: side by side
views are joined into one image, as the page shows them. The recording downloads as a zip of numbered PNG
frames (``frame_0000.png`` ...) with ``frames.csv`` (frame, step, simulated time), the same layout as the
replay's movie export, for a movie maker: ``ffmpeg -framerate 10 -i frame_%04d.png -pix_fmt yuv420p
movie.mp4``. Memory is bounded: recording stops by itself at :data:`MAX_FRAMES` frames or
:data:`MAX_BYTES` bytes and says so.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import numpy as np

from mscabm.dashboard import render as R

__all__ = ["FrameRecorder", "MAX_BYTES", "MAX_FRAMES", "join_side_by_side"]

#: frames kept at most (at 10 frames/s: over 3 minutes of play)
MAX_FRAMES = 2000
#: PNG bytes kept at most
MAX_BYTES = 400 * 2**20
#: white gap between side-by-side views, px
GAP_PX = 8


def join_side_by_side(images: list[np.ndarray]) -> np.ndarray:
    """uint8 (H, W, 3) images side by side on white, top-aligned, ``GAP_PX`` apart: (max H, sum W + gaps, 3)."""
    if len(images) == 1:
        return images[0]
    h = max(im.shape[0] for im in images)
    w = sum(im.shape[1] for im in images) + GAP_PX * (len(images) - 1)
    out = np.full((h, w, 3), 255, dtype=np.uint8)
    x = 0
    for im in images:
        out[: im.shape[0], x:x + im.shape[1]] = im
        x += im.shape[1] + GAP_PX
    return out


@dataclass
class FrameRecorder:
    """The frames recorded so far (PNG bytes) and the step and simulated time of each."""

    on: bool = False
    frames: list[bytes] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    times_min: list[float] = field(default_factory=list)
    nbytes: int = 0
    #: why recording stopped by itself ("" while it may go on)
    full: str = ""
    #: the model the frames come from (a reset makes a new one: its frames are not mixed in)
    token: int | None = None

    def start(self) -> None:
        self.on, self.full = True, ""

    def stop(self) -> None:
        self.on = False

    def clear(self) -> None:
        """Drop every frame (recording stays on or off as it was)."""
        self.frames, self.steps, self.times_min, self.nbytes, self.full, self.token = [], [], [], 0, "", None

    def add(self, images: list[np.ndarray], step: int, time_min: float, token: int | None = None,
            png: bytes | None = None) -> bool:
        """Keep one frame (the views side by side) if recording is on and ``step`` is not the last frame's step.
        ``png``: the frame already encoded (one view: the PNG the page was sent), else it is encoded here.
        ``token`` names the model: frames of a new model (after a reset) are refused while frames of the old
        one are kept (recording stops and ``full`` says so). Returns whether the frame was kept; at the
        limits recording stops and ``full`` says why."""
        if not self.on or (self.steps and self.steps[-1] == step and token == self.token):
            return False
        if self.frames and token != self.token:
            self.on = False
            self.full = (f"recording stopped: the model was reset after {len(self.frames)} frames of the earlier "
                         "run; download them, then clear to record the new run")
            return False
        self.token = token
        png = R.encode_png(join_side_by_side(images)) if png is None else png
        if len(self.frames) >= MAX_FRAMES or self.nbytes + len(png) > MAX_BYTES:
            self.on = False
            self.full = (f"recording stopped at {len(self.frames)} frames ({self.nbytes / 2**20:.0f} MB; limits "
                         f"{MAX_FRAMES} frames, {MAX_BYTES // 2**20} MB): download it, then clear to record more")
            return False
        self.frames.append(png)
        self.steps.append(int(step))
        self.times_min.append(float(time_min))
        self.nbytes += len(png)
        return True

    def status(self) -> str:
        """One line for the page: how many frames, which simulated times, and whether it is on."""
        if not self.frames:
            return "recording: on, no frame yet" if self.on else "no frames recorded"
        span = f"t = {self.times_min[0]:g} to {self.times_min[-1]:g} min"
        state = "on" if self.on else (self.full or "paused")
        return f"{len(self.frames)} frames recorded ({span}, {self.nbytes / 2**20:.1f} MB); recording {state}"

    def zip_bytes(self) -> bytes:
        """The frames as a zip: ``frame_0000.png`` ... and ``frames.csv`` (frame, step, time_min)."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
            for i, png in enumerate(self.frames):
                z.writestr(f"frame_{i:04d}.png", png)
            rows = "".join(f"{i},{s},{t:g}\n" for i, (s, t) in enumerate(zip(self.steps, self.times_min)))
            z.writestr("frames.csv", "frame,step,time_min\n" + rows)
        return buf.getvalue()
