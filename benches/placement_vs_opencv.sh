#!/usr/bin/env bash
# Placement against OpenCV on the same images, one core each: vidkompy's `locate` (default
# settings, which search the scale, and with scale 1 pinned) and OpenCV's matchTemplate
# (TM_CCOEFF_NORMED) at full resolution and as a two-level pyramid. The pair: the criterion
# bench's synthetic 1280x720 fg in a 1920x1080 bg, and a real one cut from
# ../shared/media/interview-1080p24.mp4 (frame 36, crop 1280x720 at (320, 180), graded).
# Needs python3 with opencv-python-headless and numpy (pip install opencv-python-headless).
# Usage: benches/placement_vs_opencv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --example placement_timing --quiet
taskset -c 0 target/release/examples/placement_timing "$work"
taskset -c 0 python3 benches/placement_vs_opencv.py "$work" synthetic
src=../shared/media/interview-1080p24.mp4
if [ -f "$src" ] && command -v ffmpeg >/dev/null; then
  ffmpeg -v error -nostdin -y -i "$src" -vf "select=eq(n\,36)" -frames:v 1 -pix_fmt gray "$work/bg.pgm"
  ffmpeg -v error -nostdin -y -i "$src" -vf "select=eq(n\,36),crop=1280:720:320:180,eq=brightness=0.06:contrast=1.15:gamma=0.9" \
    -frames:v 1 -pix_fmt gray "$work/fg.pgm"
  taskset -c 0 target/release/examples/placement_timing "$work" "$work/fg.pgm" "$work/bg.pgm"
  taskset -c 0 python3 benches/placement_vs_opencv.py "$work" real
else
  echo "real pair skipped: needs ../shared/media/interview-1080p24.mp4 and ffmpeg"
fi
