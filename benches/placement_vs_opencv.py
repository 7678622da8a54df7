"""OpenCV's matchTemplate (TM_CCOEFF_NORMED) on the pair placement_timing wrote, one thread:
at full resolution, and as the two-level pyramid a user writes in ten lines (a quarter-resolution
full search, then a +-4 px full-resolution refine). Usage: placement_vs_opencv.py DIR NAME"""
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
folder, name = sys.argv[1], sys.argv[2]
fg = cv2.imread(f"{folder}/{name}-fg.pgm", cv2.IMREAD_GRAYSCALE).astype(np.float32)
bg = cv2.imread(f"{folder}/{name}-bg.pgm", cv2.IMREAD_GRAYSCALE).astype(np.float32)


def full():
    r = cv2.matchTemplate(bg, fg, cv2.TM_CCOEFF_NORMED)
    return cv2.minMaxLoc(r)[3]


def pyramid():
    small_bg = cv2.resize(bg, (bg.shape[1] // 4, bg.shape[0] // 4), interpolation=cv2.INTER_AREA)
    small_fg = cv2.resize(fg, (fg.shape[1] // 4, fg.shape[0] // 4), interpolation=cv2.INTER_AREA)
    x, y = cv2.minMaxLoc(cv2.matchTemplate(small_bg, small_fg, cv2.TM_CCOEFF_NORMED))[3]
    x0, y0 = max(4 * x - 4, 0), max(4 * y - 4, 0)
    x1 = min(4 * x + 4 + fg.shape[1], bg.shape[1])
    y1 = min(4 * y + 4 + fg.shape[0], bg.shape[0])
    dx, dy = cv2.minMaxLoc(cv2.matchTemplate(bg[y0:y1, x0:x1], fg, cv2.TM_CCOEFF_NORMED))[3]
    return (x0 + dx, y0 + dy)


def median_ms(f, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        found = f()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2], found


for label, f, runs in (("two-level pyramid", pyramid, 15), ("full resolution", full, 5)):
    ms, found = median_ms(f, runs)
    print(f"{name}: OpenCV {cv2.__version__} {label} found {found} in {ms:.1f} ms")
