"""What the first Python vidkompy did, through the library: find where fg sits in bg and which bg
frame lies under each fg frame, then paste every fg frame onto its bg frame, at fg's timing.

    python3 align_and_composite.py --fg fg.mp4 --bg bg.mp4 -o out.y4m

Y4M files are read and written directly; other files need PyAV (pip install av).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import vidkompy  # noqa: E402
from examples import y4m  # noqa: E402


def decode(path):
    """[y, u, v] planes of every frame (4:2:0, 8-bit), and the frame rate."""
    if path.endswith(".y4m"):
        return y4m.read(path)
    try:
        import av
    except ImportError:
        sys.exit(f"{path}: install PyAV (pip install av) to read this file, or convert it to .y4m")
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = [f.reformat(format="yuv420p").to_ndarray() for f in container.decode(stream)]
        rate = float(stream.average_rate)
    h = frames[0].shape[0] * 2 // 3
    return [[f[:h], f[h : h + h // 4].reshape(h // 2, -1), f[h + h // 4 :].reshape(h // 2, -1)] for f in frames], rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fg", required=True)
    parser.add_argument("--bg", required=True)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    if os.path.realpath(args.output) in {os.path.realpath(args.fg), os.path.realpath(args.bg)}:
        sys.exit("the output would overwrite an input")
    fg_planes, fg_rate = decode(args.fg)
    bg_planes, bg_rate = decode(args.bg)
    fg = [vidkompy.Frame("i420", p, pts=i, time_base=(1000, round(fg_rate * 1000))) for i, p in enumerate(fg_planes)]
    bg = [vidkompy.Frame("i420", p, pts=j, time_base=(1000, round(bg_rate * 1000))) for j, p in enumerate(bg_planes)]

    analyzer = vidkompy.Analyzer()
    # Interleave by time, as a decoder would deliver them.
    order = sorted([(i / fg_rate, "fg", f) for i, f in enumerate(fg)] + [(j / bg_rate, "bg", f) for j, f in enumerate(bg)], key=lambda e: (e[0], e[1]))
    for _, stream, frame in order:
        analyzer.push(stream, frame)
    try:
        alignment = analyzer.finish()
    except vidkompy.Error as e:
        sys.exit(f"not composited: {e.message}")
    p = alignment.placement
    print(f"placement x={p.x}, y={p.y}, scale={p.scale:.4f}; fg frame 0 over bg frame {alignment.bg_index(0)}; confidence {alignment.confidence:.3f}")

    outputs = list(vidkompy.Compositor(alignment).run(fg, bg))
    partial = args.output + ".partial"
    y4m.write(partial, outputs, fg_rate)
    os.replace(partial, args.output)  # never a half-written output
    print(f"{len(outputs)} frames written to {args.output}")


if __name__ == "__main__":
    main()
