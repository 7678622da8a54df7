#!/usr/bin/env bash
# Times `vidkompy comp` against a plain `ffmpeg -filter_complex overlay` run given the true
# offsets, on the same pair and with the same encoder settings (libx264, crf 18, preset medium).
# The pair: fg = 3 s of ../shared/media/interview-1080p24.mp4 from 1.5 s, cropped to 960x540 at
# (480, 270) and re-graded, with its audio. Usage: benches/comp_vs_ffmpeg.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
src=../shared/media/interview-1080p24.mp4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --features ffmpeg --quiet
ffmpeg -v error -nostdin -y -ss 1.5 -i "$src" -t 3 \
  -vf "crop=960:540:480:270,eq=brightness=0.06:contrast=1.15:gamma=0.9" \
  -c:v libx264 -preset veryfast -crf 16 -c:a aac "$work/fg.mp4"

best() { sort -n | head -1; }
time_it() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }

vk=(); vp=(); ff=()
for _ in $(seq "$runs"); do
  vk+=("$(time_it target/release/vidkompy comp -q -y --bg "$src" --fg "$work/fg.mp4" -o "$work/vk.mp4")")
  vp+=("$(time_it target/release/vidkompy comp -q -y --placement 480,270 --bg "$src" --fg "$work/fg.mp4" -o "$work/vp.mp4")")
  # What ffmpeg needs to be told: where (480, 270) and when (bg from 1.5 s).
  ff+=("$(time_it ffmpeg -v error -nostdin -y -i "$src" -i "$work/fg.mp4" -filter_complex \
    "[0:v]trim=start=1.5,setpts=PTS-STARTPTS[b];[b][1:v]overlay=480:270:shortest=1[v]" \
    -map "[v]" -map 1:a -c:v libx264 -crf 18 -preset medium -c:a copy "$work/ff.mp4")")
done
v=$(printf '%s\n' "${vk[@]}" | best); p=$(printf '%s\n' "${vp[@]}" | best); f=$(printf '%s\n' "${ff[@]}" | best)
printf 'vidkompy comp (finds placement and time map): best of %s runs %.2f s\n' "$runs" "$v"
printf 'vidkompy comp --placement (time map only):   best of %s runs %.2f s (%.2fx)\n' "$runs" "$p" "$(echo "$p / $f" | bc -l)"
printf 'ffmpeg overlay (told the true offsets):        best of %s runs %.2f s\n' "$runs" "$f"
printf 'ratio: %.2fx\n' "$(echo "$v / $f" | bc -l)"
for out in vk ff; do
  printf '%s: %s frames\n' "$out" "$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$work/$out.mp4")"
done
