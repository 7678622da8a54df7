"""Minimal YUV4MPEG2 (4:2:0, 8-bit) reading and writing with numpy, for the example and tests."""

import numpy as np


def read(path):
    """Frames as [y, u, v] arrays, and the frame rate (frames per second, a float)."""
    with open(path, "rb") as f:
        data = f.read()
    header, _, rest = data.partition(b"\n")
    tags = dict((t[:1], t[1:]) for t in header.split()[1:])
    width, height = int(tags[b"W"]), int(tags[b"H"])
    num, den = (int(v) for v in tags.get(b"F", b"25:1").split(b":"))
    if not tags.get(b"C", b"420").startswith(b"420"):
        raise ValueError(f"{path}: only 4:2:0 8-bit Y4M is read here")
    cw, ch = (width + 1) // 2, (height + 1) // 2
    size = width * height + 2 * cw * ch
    frames, pos = [], 0
    while pos < len(rest):
        pos = rest.index(b"\n", pos) + 1  # the FRAME line
        buf = np.frombuffer(rest, np.uint8, size, pos)
        y = buf[: width * height].reshape(height, width)
        u = buf[width * height : width * height + cw * ch].reshape(ch, cw)
        v = buf[width * height + cw * ch :].reshape(ch, cw)
        frames.append([y, u, v])
        pos += size
    return frames, num / den


def write(path, frames, fps):
    height, width = frames[0][0].shape
    num, den = (int(round(fps * 1000)), 1000) if fps != int(fps) else (int(fps), 1)
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C420jpeg\n" % (width, height, num, den))
        for y, u, v in frames:
            f.write(b"FRAME\n")
            for plane in (y, u, v):
                f.write(np.ascontiguousarray(plane).tobytes())
