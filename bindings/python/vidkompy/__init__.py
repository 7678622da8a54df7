"""vidkompy for Python: align a foreground video inside a background video and composite it.

A ctypes binding of the vidkompy C library (libvidkompy.so). Frames are numpy arrays, one per
plane, checked against the pixel format (dtype, shape) before the library sees them; the library
reads them in place. Every failure raises vidkompy.Error with the C status and the call's own
message, as C reports it.

    import vidkompy
    analyzer = vidkompy.Analyzer()
    analyzer.push("bg", vidkompy.Frame("i420", [y, u, v], pts=j, time_base=(1, 25)))  # any order
    alignment = analyzer.finish()                      # raises vidkompy.Error (NO_MATCH, ...)
    for planes in vidkompy.Compositor(alignment).run(fg_frames, bg_frames): ...

The library is found through VIDKOMPY_LIBRARY (a path), then beside this file (where `pip install
./bindings/python` puts it), then the repository's target/release and target/debug, then the
system's library path.
"""

import ctypes
import ctypes.util
import os
import warnings
from ctypes import POINTER, byref, c_char, c_char_p, c_double, c_int, c_int64, c_size_t, c_ssize_t, c_uint32, c_void_p

import numpy as np

__all__ = [
    "Error", "Frame", "Settings", "Analyzer", "Alignment", "Compositor", "Live", "Scout", "ScoutSpan", "Placement",
    "locate", "composite", "status_str", "version", "LOG_ERROR", "LOG_WARNING", "LOG_INFO", "NotVerifiedWarning",
    "STAGE_PLACEMENT", "STAGE_TIME_MAP", "STAGE_PLACEMENT_CHECK", "STAGE_LIVE_START",
]

OK, AGAIN, EOF, APPROXIMATE = 0, 1, 2, 3
INVALID_ARGUMENT, INVALID_FRAME, UNSUPPORTED, NO_MATCH, BAD_STATE, IO, INVALID_DATA, INTERNAL, AMBIGUOUS, CANCELLED = range(-1, -11, -1)
STREAMS = {"fg": 0, "bg": 1}

# name: (code, sample dtype, planes as (width divisor, height divisor, samples per pixel)).
FORMATS = {
    "gray8": (0, np.uint8, [(1, 1, 1)]),
    "i420": (1, np.uint8, [(1, 1, 1), (2, 2, 1), (2, 2, 1)]),
    "nv12": (2, np.uint8, [(1, 1, 1), (2, 2, 2)]),
    "rgba": (3, np.uint8, [(1, 1, 4)]),
    "bgra": (4, np.uint8, [(1, 1, 4)]),
    "rgb24": (5, np.uint8, [(1, 1, 3)]),
    "i420p10": (6, np.uint16, [(1, 1, 1), (2, 2, 1), (2, 2, 1)]),
    "p010": (7, np.uint16, [(1, 1, 1), (2, 2, 2)]),
    "i422": (8, np.uint8, [(1, 1, 1), (2, 1, 1), (2, 1, 1)]),
    "i444": (9, np.uint8, [(1, 1, 1)] * 3),
    "i422p10": (10, np.uint16, [(1, 1, 1), (2, 1, 1), (2, 1, 1)]),
    "i444p10": (11, np.uint16, [(1, 1, 1)] * 3),
    "rgba64": (12, np.uint16, [(1, 1, 4)]),
    "rgbaf16": (13, np.float16, [(1, 1, 4)]),
    "rgbaf32": (14, np.float32, [(1, 1, 4)]),
}
RANGES = {None: 0, "limited": 0x100, "full": 0x200}
# PyAV's (FFmpeg's) pixel format names: ours, and the range the name implies (yuvj: full).
_AV_FORMATS = {
    "gray": ("gray8", None), "yuv420p": ("i420", None), "yuvj420p": ("i420", "full"), "nv12": ("nv12", None),
    "rgba": ("rgba", None), "bgra": ("bgra", None), "rgb24": ("rgb24", None), "yuv420p10le": ("i420p10", None),
    "p010le": ("p010", None), "yuv422p": ("i422", None), "yuvj422p": ("i422", "full"), "yuv444p": ("i444", None),
    "yuvj444p": ("i444", "full"), "yuv422p10le": ("i422p10", None), "yuv444p10le": ("i444p10", None),
    "rgba64le": ("rgba64", None),
}
_AV_RANGES = {1: "limited", 2: "full"}  # AVCOL_RANGE_MPEG, AVCOL_RANGE_JPEG
_AV_MATRICES = {1: "bt709", 5: "bt601", 6: "bt601"}  # AVCOL_SPC_BT709, _BT470BG, _SMPTE170M
MATRICES = {None: 0, "bt601": 0x1000, "bt709": 0x2000}
# What an RGBA or BGRA fg's fourth byte means (None: not read, fg covers its rectangle).
ALPHAS = {None: 0, "straight": 0x10000, "premultiplied": 0x20000}


class NotVerifiedWarning(UserWarning):
    """A result that could not be verified (status APPROXIMATE): the alignment's placement was
    found on reduced copies and not checked on full-size frames; give a frame provider."""


class Error(Exception):
    """A failed call: `status` is the C status (a negative VIDKOMPY_ERROR_*), `message` its text."""

    def __init__(self, status, message):
        super().__init__(f"{message} (status {status})")
        self.status = status
        self.message = message


def _wanted(stream, who):
    """The stream a session's AGAIN names; anything else is an error, never a lookup by -1."""
    if stream not in (0, 1):
        raise Error(INTERNAL, f"the {who} answered AGAIN without naming a stream")
    return stream


class _Frame(ctypes.Structure):
    _fields_ = [
        ("format", c_int),
        ("width", c_int),
        ("height", c_int),
        ("data", c_void_p * 4),
        ("stride", c_ssize_t * 4),
        ("pts", c_int64),
        ("time_base_num", c_int),
        ("time_base_den", c_int),
    ]


class _Error(ctypes.Structure):
    _fields_ = [("status", c_int), ("message", c_char * 512)]


class Placement(ctypes.Structure):
    """Where fg's content sits in bg: x, y, width, height, scale, confidence, content box."""

    _fields_ = [
        ("x", ctypes.c_int32),
        ("y", ctypes.c_int32),
        ("width", c_uint32),
        ("height", c_uint32),
        ("scale", c_double),
        ("confidence", c_double),
        ("content_x", c_uint32),
        ("content_y", c_uint32),
        ("content_width", c_uint32),
        ("content_height", c_uint32),
        ("x_subpixel", c_double),
        ("y_subpixel", c_double),
    ]

    def __repr__(self):
        return f"Placement(x={self.x}, y={self.y}, width={self.width}, height={self.height}, scale={self.scale:.4f}, confidence={self.confidence:.3f})"


class ScoutSpan(ctypes.Structure):
    """A stretch of bg (seconds of bg's timestamps) that can hold fg, and its evidence."""

    _fields_ = [("start_seconds", c_double), ("end_seconds", c_double), ("hits", c_size_t), ("best_score", c_double)]

    def __repr__(self):
        return f"ScoutSpan({self.start_seconds:.3f}-{self.end_seconds:.3f} s, hits={self.hits}, best={self.best_score:.3f})"


class _ScoutResult(ctypes.Structure):
    _fields_ = [
        ("answer", c_int),
        ("span_count", c_size_t),
        ("placement", Placement),
        ("every_seconds", c_double),
        ("bg_samples", c_size_t),
        ("fg_frames", c_size_t),
        ("largest_gap_seconds", c_double),
        ("best_score", c_double),
    ]


SCOUT_FOUND, SCOUT_NEED_DENSER, SCOUT_UNSURE = 0, 1, 2
LOG_ERROR, LOG_WARNING, LOG_INFO = 0, 1, 2


class _StreamInfo(ctypes.Structure):
    _fields_ = [
        ("format", c_int),
        ("width", c_int),
        ("height", c_int),
        ("frames", c_size_t),
        ("start_seconds", c_double),
        ("frame_rate", c_double),
        ("constant_rate", c_int),
        ("time_base_num", c_int),
        ("time_base_den", c_int),
    ]


class _PassStats(ctypes.Structure):
    _fields_ = [(name, c_size_t) for name in ("fg_missing", "fg_repeated", "bg_missing", "bg_repeated", "bg_stand_ins")]


def _load():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", "..", ".."))
    candidates = [os.environ.get("VIDKOMPY_LIBRARY"), os.path.join(here, "libvidkompy.so")]
    candidates += [os.path.join(root, "target", p, "libvidkompy.so") for p in ("release", "debug")]
    candidates.append(ctypes.util.find_library("vidkompy"))
    for path in candidates:
        if path and (os.path.exists(path) or not os.path.sep in path):
            return ctypes.CDLL(path)
    raise OSError("libvidkompy.so not found: build it (cargo build --release) or set VIDKOMPY_LIBRARY")


_lib = _load()
_handle = c_void_p
_LogCallback = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)
_ProgressCallback = ctypes.CFUNCTYPE(None, c_void_p, c_size_t, c_size_t)
_FrameProvider = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int64, POINTER(_Frame))
_DecodeCost = ctypes.CFUNCTYPE(c_int64, c_void_p, c_int, c_int64)
_StageCallback = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_double)
# The stages a stage callback is told (VIDKOMPY_STAGE_*).
STAGE_PLACEMENT, STAGE_TIME_MAP, STAGE_PLACEMENT_CHECK, STAGE_LIVE_START = 1, 2, 3, 4
_signatures = {
    "vidkompy_last_error": (c_char_p, []),
    "vidkompy_frame_validate_ex": (c_int, [POINTER(_Frame), POINTER(_Error)]),
    "vidkompy_settings_new_ex": (c_int, [POINTER(_handle), POINTER(_Error)]),
    "vidkompy_settings_free": (None, [POINTER(_handle)]),
    "vidkompy_settings_set": (c_int, [_handle, c_char_p, c_char_p]),
    "vidkompy_settings_last_error": (c_char_p, [_handle]),
    "vidkompy_locate_ex": (c_int, [_handle, POINTER(_Frame), c_size_t, POINTER(_Frame), c_size_t, POINTER(Placement), POINTER(_Error)]),
    "vidkompy_analyzer_new_ex": (c_int, [_handle, POINTER(_handle), POINTER(_Error)]),
    "vidkompy_analyzer_free": (None, [POINTER(_handle)]),
    "vidkompy_analyzer_last_error": (c_char_p, [_handle]),
    "vidkompy_analyzer_push": (c_int, [_handle, c_int, POINTER(_Frame)]),
    "vidkompy_analyzer_set_placement": (c_int, [_handle, POINTER(Placement)]),
    "vidkompy_analyzer_add_sample": (c_int, [_handle, c_int, POINTER(_Frame)]),
    "vidkompy_analyzer_set_callbacks": (c_int, [_handle, _LogCallback, _ProgressCallback, c_void_p]),
    "vidkompy_analyzer_set_frame_provider": (c_int, [_handle, _FrameProvider, c_void_p]),
    "vidkompy_analyzer_set_frame_provider_with_cost": (c_int, [_handle, _FrameProvider, _DecodeCost, c_void_p]),
    "vidkompy_analyzer_set_cancel_flag": (c_int, [_handle, POINTER(c_int)]),
    "vidkompy_analyzer_set_stage_callback": (c_int, [_handle, _StageCallback, c_void_p]),
    "vidkompy_alignment_stream_info": (c_int, [_handle, c_int, POINTER(_StreamInfo), POINTER(_Error)]),
    "vidkompy_alignment_bg_pts": (c_int, [_handle, c_size_t, POINTER(c_int64), POINTER(c_int), POINTER(c_int), POINTER(_Error)]),
    "vidkompy_alignment_media_matches": (c_int, [_handle, c_int, POINTER(_Frame), c_size_t, POINTER(c_int), POINTER(_Error)]),
    "vidkompy_alignment_fg_index_at": (c_int, [_handle, c_int64, c_int, c_int, POINTER(c_size_t), POINTER(_Error)]),
    "vidkompy_alignment_bg_time": (c_int, [_handle, c_size_t, c_int, c_int, POINTER(c_int64), POINTER(_Error)]),
    "vidkompy_alignment_with_placement": (c_int, [_handle, POINTER(Placement), POINTER(_handle), POINTER(_Error)]),
    "vidkompy_compositor_first_bg": (c_int, [_handle, POINTER(c_size_t), POINTER(c_int64)]),
    "vidkompy_compositor_start_bg_at": (c_int, [_handle, c_size_t]),
    "vidkompy_compositor_stats": (c_int, [_handle, POINTER(_PassStats)]),
    "vidkompy_live_set_placement": (c_int, [_handle, POINTER(Placement)]),
    "vidkompy_live_set_scouted": (c_int, [_handle, c_int]),
    "vidkompy_analyzer_finish": (c_int, [_handle, POINTER(_handle)]),
    "vidkompy_alignment_free": (None, [POINTER(_handle)]),
    "vidkompy_alignment_placement_ex": (c_int, [_handle, POINTER(Placement), POINTER(_Error)]),
    "vidkompy_alignment_fg_frames": (c_size_t, [_handle]),
    "vidkompy_alignment_bg_frames": (c_size_t, [_handle]),
    "vidkompy_alignment_confidence": (c_double, [_handle]),
    "vidkompy_alignment_placement_confidence": (c_double, [_handle]),
    "vidkompy_alignment_offset_seconds": (c_double, [_handle]),
    "vidkompy_alignment_rate": (c_double, [_handle]),
    "vidkompy_alignment_bg_index_ex": (c_int, [_handle, c_size_t, POINTER(c_uint32), POINTER(c_int), POINTER(_Error)]),
    "vidkompy_alignment_outside_frames": (c_int, [_handle, POINTER(c_uint32), c_size_t, POINTER(c_size_t), POINTER(_Error)]),
    "vidkompy_alignment_to_json_ex": (c_int, [_handle, c_char_p, c_size_t, POINTER(c_size_t), POINTER(_Error)]),
    "vidkompy_alignment_from_json_ex": (c_int, [c_char_p, POINTER(_handle), POINTER(_Error)]),
    "vidkompy_compositor_new_ex": (c_int, [_handle, _handle, POINTER(_handle), POINTER(_Error)]),
    "vidkompy_compositor_free": (None, [POINTER(_handle)]),
    "vidkompy_compositor_last_error": (c_char_p, [_handle]),
    "vidkompy_compositor_send": (c_int, [_handle, c_int, POINTER(_Frame)]),
    "vidkompy_compositor_receive": (c_int, [_handle, POINTER(_Frame)]),
    "vidkompy_compositor_receive_into": (c_int, [_handle, POINTER(_Frame)]),
    "vidkompy_compositor_wants": (c_int, [_handle]),
    "vidkompy_compositor_bg_rewind": (c_int, [_handle, POINTER(c_size_t), POINTER(c_int64)]),
    "vidkompy_compositor_seek_bg": (c_int, [_handle, c_size_t]),
    "vidkompy_live_new_ex": (c_int, [_handle, POINTER(_handle), POINTER(_Error)]),
    "vidkompy_live_free": (None, [POINTER(_handle)]),
    "vidkompy_live_set_cancel_flag": (c_int, [_handle, POINTER(c_int)]),
    "vidkompy_live_set_stage_callback": (c_int, [_handle, _StageCallback, c_void_p]),
    "vidkompy_live_last_error": (c_char_p, [_handle]),
    "vidkompy_live_send": (c_int, [_handle, c_int, POINTER(_Frame)]),
    "vidkompy_live_receive": (c_int, [_handle, POINTER(_Frame)]),
    "vidkompy_live_receive_into": (c_int, [_handle, POINTER(_Frame)]),
    "vidkompy_live_wants": (c_int, [_handle]),
    "vidkompy_live_last_frame": (c_int, [_handle, POINTER(ctypes.c_int64), POINTER(ctypes.c_int64), POINTER(c_int)]),
    "vidkompy_live_offset_seconds": (c_int, [_handle, POINTER(ctypes.c_double)]),
    "vidkompy_scout_new_ex": (c_int, [_handle, POINTER(_handle), POINTER(_Error)]),
    "vidkompy_scout_free": (None, [POINTER(_handle)]),
    "vidkompy_scout_set_cancel_flag": (c_int, [_handle, POINTER(c_int)]),
    "vidkompy_scout_last_error": (c_char_p, [_handle]),
    "vidkompy_scout_send": (c_int, [_handle, c_int, POINTER(_Frame)]),
    "vidkompy_scout_set_bg_extent": (c_int, [_handle, c_double, c_double]),
    "vidkompy_scout_finish": (c_int, [_handle, POINTER(_ScoutResult)]),
    "vidkompy_scout_span": (c_int, [_handle, c_size_t, POINTER(ScoutSpan)]),
    "vidkompy_scout_window": (c_int, [_handle, POINTER(ScoutSpan)]),
    "vidkompy_alignment_check_window": (c_int, [_handle, c_int, c_int, POINTER(_Error)]),
    "vidkompy_alignment_placement_approximate": (c_int, [_handle, POINTER(c_int), POINTER(_Error)]),
    "vidkompy_composite": (c_int, [_handle, _handle, c_size_t, POINTER(_Frame), POINTER(_Frame), POINTER(_Frame), POINTER(_Error)]),
    "vidkompy_alignment_frame_confidence": (c_int, [_handle, c_size_t, POINTER(c_double), POINTER(_Error)]),
    "vidkompy_live_placement": (c_int, [_handle, POINTER(Placement)]),
    "vidkompy_live_held_bytes": (c_size_t, [_handle]),
    "vidkompy_status_str": (c_char_p, [c_int]),
    "vidkompy_version": (c_uint32, []),
    "vidkompy_version_string": (c_char_p, []),
}
for _name, (_restype, _argtypes) in _signatures.items():
    _fn = getattr(_lib, _name)
    _fn.restype, _fn.argtypes = _restype, _argtypes


def _check(status, err=None, handle_message=None):
    """Raises Error for a negative status with the call's own message."""
    if status >= 0:
        return status
    if err is not None:
        message = err.message.decode("utf-8", "replace")
    else:
        message = (handle_message() or b"").decode("utf-8", "replace")
    raise Error(status, message)


def _rational(time_base):
    """(num, den) of a time base given as a tuple or a Fraction."""
    try:
        if isinstance(time_base, tuple):
            return int(time_base[0]), int(time_base[1])
        return int(time_base.numerator), int(time_base.denominator)
    except (TypeError, ValueError, AttributeError, IndexError):
        raise Error(INVALID_ARGUMENT, f"a time base is (num, den) or a Fraction, got {time_base!r}") from None


def _stream(name):
    if name not in STREAMS:
        raise Error(INVALID_ARGUMENT, f"unknown stream {name!r} (\"fg\" or \"bg\")")
    return STREAMS[name]


class Frame:
    """A picture as numpy planes: `format` names the layout (see FORMATS), `planes` holds one array
    per plane: (height, width) for one sample per pixel, (height, width, n) for interleaved
    samples (RGB, NV12's UV), with the format's dtype (uint8, or uint16 for 10-bit formats).
    Rows may be strided (even negatively: a flipped array); samples within a row must be
    contiguous. The arrays are read in place and kept alive by the frame.

    `pts` is in units of `time_base` (num, den): a pts needs its time base (PyAV's
    `frame.pts` with `frame.time_base`); without a pts the frame is placed one period after
    the previous one. `alpha` ("straight", "premultiplied" or None) says what an rgba or bgra
    fg's fourth byte means: with it fg is pasted with its alpha; None leaves it unread."""

    def __init__(self, format, planes, pts=None, time_base=None, color_range=None, matrix=None, alpha=None):
        if format not in FORMATS:
            raise Error(INVALID_FRAME, f"unknown pixel format {format!r}; known: {', '.join(FORMATS)}")
        if pts is not None and time_base is None:
            raise Error(INVALID_FRAME, "a pts needs its time_base (num, den), e.g. PyAV's frame.time_base")
        if time_base is not None:
            try:
                time_base = _rational(time_base)
            except Error:
                raise Error(INVALID_FRAME, f"time_base must be (num, den) or a Fraction, got {time_base!r}") from None
        if alpha not in ALPHAS:
            raise Error(INVALID_FRAME, f"alpha must be one of {', '.join(map(repr, ALPHAS))}, got {alpha!r}")
        code, dtype, layout = FORMATS[format]
        if len(planes) != len(layout):
            raise Error(INVALID_FRAME, f"{format} has {len(layout)} planes, got {len(planes)}")
        first = np.asarray(planes[0])
        if first.ndim < 2:
            raise Error(INVALID_FRAME, f"plane 0 must be 2-D (rows, columns), got shape {first.shape}")
        height, width = first.shape[:2]
        self.format, self.arrays = format, []
        self._c = _Frame()
        self._c.format = code | RANGES[color_range] | MATRICES[matrix] | ALPHAS[alpha]
        self._c.width, self._c.height = width, height
        for i, (plane, (wdiv, hdiv, samples)) in enumerate(zip(planes, layout)):
            plane = np.asarray(plane)
            want = ((height + hdiv - 1) // hdiv, (width + wdiv - 1) // wdiv) + ((samples,) if samples > 1 else ())
            if plane.dtype != dtype:
                raise Error(INVALID_FRAME, f"{format} plane {i}: dtype {plane.dtype}, needs {np.dtype(dtype).name}")
            if plane.shape != want and not (samples > 1 and plane.shape == want[:1] + (want[1] * samples,)):
                raise Error(INVALID_FRAME, f"{format} plane {i}: shape {plane.shape}, needs {want} for {width}x{height}")
            adjacent = plane.strides[-1] == plane.itemsize and (plane.ndim == 2 or plane.strides[1] == plane.itemsize * samples)
            if not adjacent:
                plane = np.ascontiguousarray(plane)  # the samples of a row must be adjacent
            self.arrays.append(plane)
            self._c.data[i] = plane.ctypes.data
            self._c.stride[i] = plane.strides[0]
        if pts is None:
            self._c.pts, self._c.time_base_num, self._c.time_base_den = -(2**63), 0, 0
            if time_base is not None:
                self._c.time_base_num, self._c.time_base_den = time_base
        else:
            self._c.pts, (self._c.time_base_num, self._c.time_base_den) = pts, time_base
        err = _Error()
        _check(_lib.vidkompy_frame_validate_ex(byref(self._c), byref(err)), err)

    @staticmethod
    def from_av(frame):
        """A Frame over a PyAV VideoFrame's planes, read in place (no copy), with its pts, time
        base and colour. PyAV's formats map to ours (yuv420p -> i420, yuv420p10le -> i420p10,
        p010le -> p010, gray -> gray8, the yuvj formats full range, ...); another raises
        vidkompy.Error (UNSUPPORTED): convert with frame.reformat(format="yuv420p") first.
        Colour: `color_range` MPEG (1) is limited, JPEG (2) full; `colorspace` BT709 (1) is
        bt709, BT470BG (5) and SMPTE170M (6) bt601; unspecified (0 or 2) or anything else leaves
        the bits unset, and the library then reads YUV as limited range and the matrix as the
        settings' "color_matrix" says (by size when "auto"). rgba and bgra carry straight alpha,
        as FFmpeg's do."""
        name = frame.format.name
        if name not in _AV_FORMATS:
            raise Error(UNSUPPORTED, f"PyAV format {name!r} is not read as is; known: {', '.join(_AV_FORMATS)} (reformat first)")
        ours, implied_range = _AV_FORMATS[name]
        _, dtype, layout = FORMATS[ours]
        itemsize = np.dtype(dtype).itemsize
        planes = []
        for plane, (wdiv, hdiv, samples) in zip(frame.planes, layout):
            rows, cols = (frame.height + hdiv - 1) // hdiv, (frame.width + wdiv - 1) // wdiv
            raw = np.frombuffer(plane, np.uint8)
            if raw.size < plane.line_size * (rows - 1) + cols * samples * itemsize:
                raise Error(INVALID_FRAME, f"PyAV plane of {raw.size} bytes is too small for {rows} rows of {plane.line_size}")
            rows_view = np.lib.stride_tricks.as_strided(raw, (rows, cols * samples * itemsize), (plane.line_size, 1))
            planes.append(rows_view.view(dtype))
        color_range = _AV_RANGES.get(getattr(frame, "color_range", 0), implied_range)
        matrix = _AV_MATRICES.get(getattr(frame, "colorspace", 2))
        pts, time_base = frame.pts, getattr(frame, "time_base", None)
        if time_base is None:
            pts = None
        alpha = "straight" if ours in ("rgba", "bgra", "rgba64") else None  # FFmpeg's alpha is straight
        return Frame(ours, planes, pts=pts, time_base=time_base, color_range=color_range, matrix=matrix, alpha=alpha)

    @property
    def width(self):
        return self._c.width

    @property
    def height(self):
        return self._c.height


class Settings:
    """Settings by key (see vidkompy.h), e.g. Settings(min_confidence=0.7, feather=4)."""

    def __init__(self, **values):
        self._h = _handle()
        err = _Error()
        _check(_lib.vidkompy_settings_new_ex(byref(self._h), byref(err)), err)
        for key, value in values.items():
            self.set(key, value)

    def set(self, key, value):
        if isinstance(value, bool):
            value = "1" if value else "0"
        status = _lib.vidkompy_settings_set(self._h, str(key).encode(), str(value).encode())
        _check(status, handle_message=lambda: _lib.vidkompy_settings_last_error(self._h))
        return self

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.vidkompy_settings_free(byref(self._h))


def _settings(settings):
    return settings._h if settings is not None else None


class Alignment:
    """The result of analysis: placement and a bg frame for every fg frame. Immutable."""

    def __init__(self, handle):
        self._h = handle

    @staticmethod
    def from_json(text):
        h, err = _handle(), _Error()
        _check(_lib.vidkompy_alignment_from_json_ex(text.encode(), byref(h), byref(err)), err)
        return Alignment(h)

    def to_json(self):
        needed, err = c_size_t(0), _Error()
        _lib.vidkompy_alignment_to_json_ex(self._h, None, 0, byref(needed), None)
        buf = ctypes.create_string_buffer(needed.value)
        _check(_lib.vidkompy_alignment_to_json_ex(self._h, buf, needed, byref(needed), byref(err)), err)
        return buf.value.decode()

    def check_window(self, bg_before, bg_after):
        """For an alignment made from a window of bg alone: raises vidkompy.Error (NO_MATCH,
        saying why) unless the window held all of fg; `bg_before` / `bg_after`: whether bg has
        frames before / after the window. Never keep a window's alignment without it."""
        err = _Error()
        _check(_lib.vidkompy_alignment_check_window(self._h, int(bool(bg_before)), int(bool(bg_after)), byref(err)), err)

    @property
    def placement_approximate(self):
        """True when the placement was found on reduced copies and never checked on full-size
        frames (no frame provider): it can be a pixel or more off."""
        out, err = c_int(0), _Error()
        _check(_lib.vidkompy_alignment_placement_approximate(self._h, byref(out), byref(err)), err)
        return bool(out.value)

    @property
    def placement(self):
        p, err = Placement(), _Error()
        _check(_lib.vidkompy_alignment_placement_ex(self._h, byref(p), byref(err)), err)
        return p

    @property
    def fg_frames(self):
        return _lib.vidkompy_alignment_fg_frames(self._h)

    @property
    def bg_frames(self):
        return _lib.vidkompy_alignment_bg_frames(self._h)

    @property
    def confidence(self):
        return _lib.vidkompy_alignment_confidence(self._h)

    @property
    def placement_confidence(self):
        return _lib.vidkompy_alignment_placement_confidence(self._h)

    @property
    def offset_seconds(self):
        return _lib.vidkompy_alignment_offset_seconds(self._h)

    @property
    def rate(self):
        return _lib.vidkompy_alignment_rate(self._h)

    def frame_confidence(self, i):
        """The time map's confidence for fg frame `i` (0 when it lies outside bg)."""
        c, err = c_double(0), _Error()
        _check(_lib.vidkompy_alignment_frame_confidence(self._h, i, byref(c), byref(err)), err)
        return c.value

    def bg_index(self, i):
        j, err = c_uint32(0), _Error()
        _check(_lib.vidkompy_alignment_bg_index_ex(self._h, i, byref(j), None, byref(err)), err)
        return j.value

    @property
    def outside_frames(self):
        count, err = c_size_t(0), _Error()
        _check(_lib.vidkompy_alignment_outside_frames(self._h, None, 0, byref(count), byref(err)), err)
        out = (c_uint32 * count.value)()
        _check(_lib.vidkompy_alignment_outside_frames(self._h, out, count.value, byref(count), byref(err)), err)
        return list(out)

    def stream_info(self, stream):
        """What the alignment records of "fg" or "bg" (bg's gives the composite's size): a dict
        of format, width, height, frames, start_seconds, frame_rate, constant_rate, time_base."""
        info, err = _StreamInfo(), _Error()
        _check(_lib.vidkompy_alignment_stream_info(self._h, _stream(stream), byref(info), byref(err)), err)
        fields = {name: getattr(info, name) for name, _ in _StreamInfo._fields_}
        fields["constant_rate"] = bool(fields["constant_rate"])
        fields["time_base"] = (fields.pop("time_base_num"), fields.pop("time_base_den"))
        return fields

    def bg_pts(self, i):
        """The nominal pts of the bg frame under fg frame `i`, and bg's time base: (pts, (num, den))."""
        pts, num, den, err = c_int64(), c_int(), c_int(), _Error()
        _check(_lib.vidkompy_alignment_bg_pts(self._h, i, byref(pts), byref(num), byref(den), byref(err)), err)
        return pts.value, (num.value, den.value)

    def media_matches(self, stream, first_frame, frames):
        """Whether a medium (its first Frame as decoded, its frame count) is still the one the
        record of "fg" or "bg" describes: same size and count, and the first frame's print the
        same picture's (a project reopened after its files may have changed)."""
        matches, err = c_int(), _Error()
        _check(_lib.vidkompy_alignment_media_matches(self._h, _stream(stream), byref(first_frame._c), frames,
                                                     byref(matches), byref(err)), err)
        return bool(matches.value)

    def fg_index_at(self, time, time_base):
        """The fg frame showing at `time`, in units of `time_base` ((num, den) or a Fraction: a
        timeline's, 1/90000 say) on fg's clock."""
        num, den = _rational(time_base)
        index, err = c_size_t(), _Error()
        _check(_lib.vidkompy_alignment_fg_index_at(self._h, time, num, den, byref(index), byref(err)), err)
        return index.value

    def bg_time(self, i, time_base):
        """The nominal time of the bg frame under fg frame `i`, in units of `time_base`."""
        num, den = _rational(time_base)
        t, err = c_int64(), _Error()
        _check(_lib.vidkompy_alignment_bg_time(self._h, i, num, den, byref(t), byref(err)), err)
        return t.value

    def with_placement(self, placement):
        """A new Alignment equal to this one with `placement` (a correction by hand), checked as a
        saved alignment is."""
        h, err = _handle(), _Error()
        _check(_lib.vidkompy_alignment_with_placement(self._h, byref(placement), byref(h), byref(err)), err)
        return Alignment(h)

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.vidkompy_alignment_free(byref(self._h))


class _CallbackHost:
    """A handle whose callbacks keep their exceptions (they may not unwind through C) for the
    call that ran them to raise."""

    def _guarded(self, callback, failed=None):
        """The callback with its exception kept (not printed) for the call that ran it."""

        def call(*args):
            try:
                return callback(*args)
            except BaseException as e:  # noqa: BLE001 - raised again after the C call returns
                self._callback_error = self._callback_error or e
                return failed

        return call

    def _raise_kept(self):
        error, self._callback_error = getattr(self, "_callback_error", None), None
        if error is not None:
            raise error

    def _stage_callback(self, told):
        """`told(stage, done)` as a C stage callback (kept alive by the handle), or a null one."""
        self._stage = _StageCallback(self._guarded(lambda _, stage, done: told(stage, done))) if told else _StageCallback()
        return self._stage


class Analyzer(_CallbackHost):
    """Pass 1: push frames of both streams (any interleaving), then finish() for an Alignment."""

    def __init__(self, settings=None):
        self._h, err = _handle(), _Error()
        _check(_lib.vidkompy_analyzer_new_ex(_settings(settings), byref(self._h), byref(err)), err)
        self._cancel_flag = c_int(0)
        self._check(_lib.vidkompy_analyzer_set_cancel_flag(self._h, byref(self._cancel_flag)))

    def cancel(self):
        """Stops the analyzer, from any thread (a callback included): the running or next push
        or finish raises vidkompy.Error with status CANCELLED, and the analyzer is finished."""
        self._cancel_flag.value = 1

    def push(self, stream, frame):
        """The next frame of "fg" or "bg"; None ends that stream."""
        self._check(_lib.vidkompy_analyzer_push(self._h, _stream(stream), byref(frame._c) if frame else None))

    def set_placement(self, placement):
        self._check(_lib.vidkompy_analyzer_set_placement(self._h, byref(placement)))

    def add_sample(self, stream, frame):
        """A sample frame of "fg" or "bg" to locate fg from, before the first push."""
        self._check(_lib.vidkompy_analyzer_add_sample(self._h, _stream(stream), byref(frame._c)))

    def set_callbacks(self, log=None, progress=None):
        """`log(level, message)` (LOG_ERROR, LOG_WARNING, LOG_INFO) and `progress(fg_frames,
        bg_frames)`, called on the thread that calls the analyzer; None clears one. An
        exception a callback raises is raised again by the call that ran it."""
        self._log = _LogCallback(self._guarded(lambda _, level, text: log(level, text.decode("utf-8", "replace")))) if log else _LogCallback()
        self._progress = _ProgressCallback(self._guarded(lambda _, fg, bg: progress(fg, bg))) if progress else _ProgressCallback()
        self._check(_lib.vidkompy_analyzer_set_callbacks(self._h, self._log, self._progress, None))

    def set_frame_provider(self, provider, decode_cost=None):
        """`provider(stream, index)` gives frame `index` of "fg" or "bg" (0 is the first pushed,
        of the same format and size) as a Frame, or None when it cannot; called in finish(),
        for a few frames to check the placement at full size and for frames the analyzer kept
        no copy of (see the C header). Without one, a placement found on reduced copies is
        approximate (Alignment.placement_approximate). None clears it.

        `decode_cost(stream, index)`, when given, answers the frames the host decodes to give
        that frame again (0 for a keyframe; negative when unknown): fg frames dear to give
        again are then kept as they are pushed, and the placement check takes those (see
        vidkompy_analyzer_set_frame_provider_with_cost). Set it before pushing fg. An
        exception it raises counts as unknown and is raised again by the call that ran it."""

        def provide(_, stream, index, out):
            frame = provider("fg" if stream == 0 else "bg", index)
            if frame is None:
                return 1
            self._provided = frame  # the library copies it before the next call
            out[0] = frame._c
            return 0

        self._provider = _FrameProvider(self._guarded(provide, failed=1)) if provider else _FrameProvider()
        if decode_cost is None:
            self._decode_cost = None
            self._check(_lib.vidkompy_analyzer_set_frame_provider(self._h, self._provider, None))
            return
        cost = lambda _, stream, index: int(decode_cost("fg" if stream == 0 else "bg", index))
        self._decode_cost = _DecodeCost(self._guarded(cost, failed=-1))
        self._check(_lib.vidkompy_analyzer_set_frame_provider_with_cost(self._h, self._provider, self._decode_cost, None))

    def set_stage_callback(self, told):
        """`told(stage, done)`: finish() tells each stage (STAGE_PLACEMENT, STAGE_TIME_MAP,
        STAGE_PLACEMENT_CHECK) as it starts (done 0) and ends (1); None clears it."""
        self._check(_lib.vidkompy_analyzer_set_stage_callback(self._h, self._stage_callback(told), None))

    def _check(self, status):
        self._raise_kept()
        return _check(status, handle_message=lambda: _lib.vidkompy_analyzer_last_error(self._h))

    def finish(self):
        """The alignment. When its placement could not be checked on full-size frames (no
        frame provider, and none of the frames the analyzer keeps was matched: the C call
        answered APPROXIMATE), its placement_approximate is True and a NotVerifiedWarning
        says so."""
        h = _handle()
        status = self._check(_lib.vidkompy_analyzer_finish(self._h, byref(h)))
        if status == APPROXIMATE:
            warnings.warn(status_str(APPROXIMATE), NotVerifiedWarning, stacklevel=2)
        return Alignment(h)

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.vidkompy_analyzer_free(byref(self._h))


def _planes_of(c_frame):
    """Copies of a library-owned frame's planes as numpy arrays."""
    name = next(n for n, (code, _, _) in FORMATS.items() if code == c_frame.format & 0xFF)
    _, dtype, layout = FORMATS[name]
    itemsize = np.dtype(dtype).itemsize
    out = []
    for i, (wdiv, hdiv, samples) in enumerate(layout):
        rows, cols = (c_frame.height + hdiv - 1) // hdiv, (c_frame.width + wdiv - 1) // wdiv
        stride = c_frame.stride[i]
        buf = (c_char * (stride * (rows - 1) + cols * samples * itemsize)).from_address(c_frame.data[i])
        view = np.ndarray((rows, cols * samples), dtype=dtype, buffer=buf, strides=(stride, itemsize))
        out.append(view.reshape(rows, cols, samples).copy() if samples > 1 else view.copy())
    return out


class Compositor:
    """Pass 2. run(fg, bg) takes two iterables of Frames and yields the composited frames (lists
    of numpy planes in bg's format), one per fg frame, at fg's timing. Where fg's shots go back
    in bg, bg is read again from the frame needed: bg must then be a sequence (a list of
    Frames, or anything indexable by bg frame); an iterator raises vidkompy.Error (BAD_STATE)
    there instead of compositing over a wrong background."""

    def __init__(self, alignment, settings=None):
        self._alignment = alignment
        self._h, err = _handle(), _Error()
        _check(_lib.vidkompy_compositor_new_ex(alignment._h, _settings(settings), byref(self._h), byref(err)), err)

    def _check(self, status):
        return _check(status, handle_message=lambda: _lib.vidkompy_compositor_last_error(self._h))

    def run(self, fg, bg, into=None):
        """With `into`, a Frame of bg's format and size over writable arrays, each composite is
        written into those arrays (no copy) and `into.arrays` is yielded: valid until the next."""
        if into is not None and not all(a.flags.writeable for a in into.arrays):
            raise Error(INVALID_ARGUMENT, "the frame to composite into has read-only arrays")
        sources = {0: iter(fg), 1: iter(bg)}
        out = _Frame()
        if into is None:
            receive = lambda: _lib.vidkompy_compositor_receive(self._h, byref(out))  # noqa: E731
        else:
            receive = lambda: _lib.vidkompy_compositor_receive_into(self._h, byref(into._c))  # noqa: E731
        pending = None  # (stream, frame) that send answered AGAIN to: it follows a lost frame
        while True:
            status = self._check(receive())
            if status == OK:
                yield _planes_of(out) if into is None else into.arrays
                if pending is not None and self._send(*pending) != AGAIN:
                    pending = None
                continue
            if status == EOF:
                return
            stream = _wanted(_lib.vidkompy_compositor_wants(self._h), "compositor")
            if stream == 1 and hasattr(bg, "__getitem__"):
                index, pts = c_size_t(), c_int64()
                if self._check(_lib.vidkompy_compositor_bg_rewind(self._h, byref(index), byref(pts))) == 1:
                    self._check(_lib.vidkompy_compositor_seek_bg(self._h, index.value))
                    sources[1] = iter(bg[index.value :])
            frame = next(sources[stream], None)
            if self._send(stream, frame) == AGAIN:
                pending = (stream, frame)

    def _send(self, stream, frame):
        return self._check(_lib.vidkompy_compositor_send(self._h, stream, byref(frame._c) if frame else None))

    def first_bg(self):
        """The first bg frame the compositor needs, (index, pts): seek bg there before run()."""
        index, pts = c_size_t(), c_int64()
        self._check(_lib.vidkompy_compositor_first_bg(self._h, byref(index), byref(pts)))
        return index.value, pts.value

    def start_bg_at(self, index):
        """Declares that bg's first frame will be frame `index` (bg sought there, frames without pts)."""
        self._check(_lib.vidkompy_compositor_start_bg_at(self._h, index))

    @property
    def stats(self):
        """What pass 2 met so far: fg_missing, fg_repeated, bg_missing, bg_repeated, bg_stand_ins."""
        s = _PassStats()
        self._check(_lib.vidkompy_compositor_stats(self._h, byref(s)))
        return {name: getattr(s, name) for name, _ in _PassStats._fields_}

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.vidkompy_compositor_free(byref(self._h))


class Live(_CallbackHost):
    """The live session (one pass). run(fg, bg) takes two iterables of Frames, feeds them as the
    session asks, and yields (fg index, bg index, outside, planes) for every fg frame, each
    `live_lag` fg frames after it went in. NO_MATCH (vidkompy.Error) when fg's start is not
    found within the session's window of bg."""

    def __init__(self, settings=None):
        self._h, err = _handle(), _Error()
        _check(_lib.vidkompy_live_new_ex(_settings(settings), byref(self._h), byref(err)), err)
        self._cancel_flag = c_int(0)
        self._check(_lib.vidkompy_live_set_cancel_flag(self._h, byref(self._cancel_flag)))

    def cancel(self):
        """Stops the session, from any thread: the running or next step of run() raises
        vidkompy.Error with status CANCELLED (a start search under way stops promptly), and
        the session is finished."""
        self._cancel_flag.value = 1

    def set_stage_callback(self, told):
        """`told(stage, done)`: each start analysis as STAGE_LIVE_START (0 before, 1 after) and
        the analyzer's stages inside it; None clears it."""
        self._check(_lib.vidkompy_live_set_stage_callback(self._h, self._stage_callback(told), None))

    def _check(self, status):
        self._raise_kept()
        return _check(status, handle_message=lambda: _lib.vidkompy_live_last_error(self._h))

    def run(self, fg, bg, into=None):
        """Yields (fg index, bg index, outside, planes) for each fg frame. With `into`, a Frame of
        bg's format and size over writable arrays, each composite is written into those arrays
        (no copy) and `into.arrays` is yielded: valid until the next."""
        if into is not None and not all(a.flags.writeable for a in into.arrays):
            raise Error(INVALID_ARGUMENT, "the frame to composite into has read-only arrays")
        sources = {0: iter(fg), 1: iter(bg)}
        out = _Frame()
        waiting = {}  # stream -> the frame send answered AGAIN to
        if into is None:
            receive = lambda: _lib.vidkompy_live_receive(self._h, byref(out))  # noqa: E731
        else:
            receive = lambda: _lib.vidkompy_live_receive_into(self._h, byref(into._c))  # noqa: E731
        while True:
            status = self._check(receive())
            if status == OK:
                fg_index, bg_index, outside = ctypes.c_int64(), ctypes.c_int64(), c_int()
                self._check(_lib.vidkompy_live_last_frame(self._h, byref(fg_index), byref(bg_index), byref(outside)))
                planes = _planes_of(out) if into is None else into.arrays
                yield fg_index.value, bg_index.value, bool(outside.value), planes
                continue
            if status == EOF:
                return
            stream = _wanted(_lib.vidkompy_live_wants(self._h), "live session")
            frame = waiting.pop(stream) if stream in waiting else next(sources[stream], None)
            c_frame = byref(frame._c) if frame else None
            if self._check(_lib.vidkompy_live_send(self._h, stream, c_frame)) == AGAIN:
                waiting[stream] = frame

    def set_placement(self, placement):
        """Uses `placement` instead of searching for it (before the first frame)."""
        self._check(_lib.vidkompy_live_set_placement(self._h, byref(placement)))

    def set_scouted(self, scouted=True):
        """The host scouted bg (Scout) and sends it from the keyframe before fg's span: the
        first window goes straight to the start analysis (before the first frame)."""
        self._check(_lib.vidkompy_live_set_scouted(self._h, 1 if scouted else 0))

    def offset_seconds(self):
        """bg's time at fg's first frame (seconds) once the session has locked, else None."""
        seconds = ctypes.c_double()
        if self._check(_lib.vidkompy_live_offset_seconds(self._h, byref(seconds))) == AGAIN:
            return None
        return seconds.value

    def placement(self):
        """The placement found (or set) once the session has locked, else None."""
        p = Placement()
        if self._check(_lib.vidkompy_live_placement(self._h, byref(p))) == AGAIN:
            return None
        return p

    @property
    def held_bytes(self):
        """Bytes of frames the session holds now."""
        return _lib.vidkompy_live_held_bytes(self._h)

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.vidkompy_live_free(byref(self._h))


class Scout:
    """Where in a long bg fg can lie, for a host that can seek: push every fg frame (or an even
    sample) and a sparse sample of bg (its keyframes, say), each with its pts, then finish().
    finish() returns a dict: "answer" ("found", "need_denser", or "unsure": a sample came near
    fg, none clearly showed it, so analyse all of bg), "spans" (ScoutSpans, most hits
    first: decode bg densely only there), "placement" (as precise as the scout's small copies),
    "every_seconds" (need_denser: sample bg at least this often and scout again), and the
    evidence ("bg_samples", "fg_frames", "largest_gap_seconds", "best_score"). NO_MATCH
    (vidkompy.Error) when the samples are dense enough and none came near fg."""

    def __init__(self, settings=None):
        self._h, err = _handle(), _Error()
        _check(_lib.vidkompy_scout_new_ex(_settings(settings), byref(self._h), byref(err)), err)
        self._cancel_flag = c_int(0)
        self._check(_lib.vidkompy_scout_set_cancel_flag(self._h, byref(self._cancel_flag)))

    def cancel(self):
        """Stops the scout, from any thread: the running or next push or finish raises
        vidkompy.Error with status CANCELLED, and the scout is finished."""
        self._cancel_flag.value = 1

    def _check(self, status):
        return _check(status, handle_message=lambda: _lib.vidkompy_scout_last_error(self._h))

    def push(self, stream, frame):
        """The next frame of "fg" or a bg sample ("bg"), later than that stream's last."""
        self._check(_lib.vidkompy_scout_send(self._h, _stream(stream), byref(frame._c)))

    def set_bg_extent(self, start_seconds, end_seconds):
        """bg's first frame's time and the time just past its last, when known."""
        self._check(_lib.vidkompy_scout_set_bg_extent(self._h, start_seconds, end_seconds))

    def finish(self):
        r = _ScoutResult()
        self._check(_lib.vidkompy_scout_finish(self._h, byref(r)))
        spans = []
        for k in range(r.span_count):
            span = ScoutSpan()
            self._check(_lib.vidkompy_scout_span(self._h, k, byref(span)))
            spans.append(span)
        return {
            "answer": {SCOUT_FOUND: "found", SCOUT_NEED_DENSER: "need_denser", SCOUT_UNSURE: "unsure"}[r.answer],
            "spans": spans,
            "placement": r.placement if r.answer == SCOUT_FOUND else None,
            "every_seconds": r.every_seconds,
            "bg_samples": r.bg_samples,
            "fg_frames": r.fg_frames,
            "largest_gap_seconds": r.largest_gap_seconds,
            "best_score": r.best_score,
            "window": self._window() if r.answer == SCOUT_FOUND else None,
        }

    def _window(self):
        """The stretch of bg to decode densely (a ScoutSpan): the dominant span, else the union."""
        w = ScoutSpan()
        self._check(_lib.vidkompy_scout_window(self._h, byref(w)))
        return w

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.vidkompy_scout_free(byref(self._h))


def status_str(status):
    """The C library's description of a status code."""
    return _lib.vidkompy_status_str(status).decode()


def version():
    """The run-time library version: ((MAJOR << 16) | (MINOR << 8) | PATCH, "MAJOR.MINOR.PATCH")."""
    return _lib.vidkompy_version(), _lib.vidkompy_version_string().decode()


def locate(fg, bg, settings=None):
    """The placement of fg's content in bg from sample Frames of each (lists)."""
    f = (_Frame * len(fg))(*[x._c for x in fg])
    b = (_Frame * len(bg))(*[x._c for x in bg])
    p, err = Placement(), _Error()
    _check(_lib.vidkompy_locate_ex(_settings(settings), f, len(fg), b, len(bg), byref(p), byref(err)), err)
    return p


def composite(alignment, index, fg, bg, out, settings=None):
    """Random access: fg frame `index` onto its bg frame (alignment.bg_index(index)) into `out`,
    a writable Frame of bg's format and size (its arrays are written in place)."""
    for a in out.arrays:
        if not a.flags.writeable:
            raise Error(INVALID_ARGUMENT, "out's planes must be writable")
    err = _Error()
    _check(_lib.vidkompy_composite(alignment._h, _settings(settings), index, byref(fg._c), byref(bg._c), byref(out._c), byref(err)), err)
