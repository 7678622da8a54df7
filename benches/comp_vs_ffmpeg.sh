#!/usr/bin/env bash
# Times `vidkompy comp` against a plain `ffmpeg -filter_complex overlay` run given the true
# offsets, on the same pair with the same encoder settings, for two encoders: libx264 (crf 18,
# preset medium), whose cost hides the cost of alignment, and mpeg4 at 4 Mb/s, cheap enough that
# decoding and alignment dominate. Reports wall time (best of RUNS), the ratio to ffmpeg, and
# peak RSS. The pair: fg = 3 s of ../shared/media/interview-1080p24.mp4 from 1.5 s, cropped to
# 960x540 at (480, 270) and re-graded, with its audio. Usage: benches/comp_vs_ffmpeg.sh [RUNS]
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

# "seconds peak_kib" of one run.
measure() { /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>&1; cat "$work/time"; }
# The best (lowest) time and the highest peak RSS of several runs.
best() { sort -n | awk 'NR == 1 { t = $1 } { if ($2 > m) m = $2 } END { print t, m }'; }

run_case() {
  local name=$1; shift
  local -a ours=("$@")
  local vk=() vo=() vp=() ff=()
  for _ in $(seq "$runs"); do
    vk+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --bg "$src" --fg "$work/fg.mp4" -o "$work/vk.mp4")")
    vo+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --path one-pass --bg "$src" --fg "$work/fg.mp4" -o "$work/vo.mp4" --report "$work/vo.json")")
    vp+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --placement 480,270 --bg "$src" --fg "$work/fg.mp4" -o "$work/vp.mp4")")
    # What ffmpeg needs to be told: where (480, 270) and when (bg from 1.5 s).
    ff+=("$(measure ffmpeg -v error -nostdin -y -i "$src" -i "$work/fg.mp4" -filter_complex \
      "[0:v]trim=start=1.5,setpts=PTS-STARTPTS[b];[b][1:v]overlay=480:270:shortest=1[v]" \
      -map "[v]" -map 1:a "${ffenc[@]}" -c:a copy "$work/ff.mp4")")
  done
  read -r v vm < <(printf '%s\n' "${vk[@]}" | best)
  read -r o om < <(printf '%s\n' "${vo[@]}" | best)
  read -r p pm < <(printf '%s\n' "${vp[@]}" | best)
  read -r f fm < <(printf '%s\n' "${ff[@]}" | best)
  printf '%s\n' "$name"
  printf '  vidkompy comp (finds placement and time map): %.2f s (%.2fx ffmpeg), peak %d MiB\n' "$v" "$(echo "$v / $f" | bc -l)" $((vm / 1024))
  printf '  vidkompy comp --path one-pass (decodes once): %.2f s (%.2fx ffmpeg), peak %d MiB, %s\n' "$o" "$(echo "$o / $f" | bc -l)" $((om / 1024)) \
    "$(grep -o '"frames_decoded": {"fg": [0-9]*, "bg": [0-9]*' "$work/vo.json" | sed 's/"frames_decoded": //; s/$/}/')"
  printf '  vidkompy comp --placement (time map only):   %.2f s (%.2fx ffmpeg), peak %d MiB\n' "$p" "$(echo "$p / $f" | bc -l)" $((pm / 1024))
  printf '  ffmpeg overlay (told the true offsets):        %.2f s, peak %d MiB\n' "$f" $((fm / 1024))
  for out in vk vo ff; do
    printf '  %s: %s frames\n' "$out" "$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$work/$out.mp4")"
  done
}

echo "best of $runs runs"
ffenc=(-c:v libx264 -crf 18 -preset medium)
run_case "libx264 crf 18, preset medium" --codec libx264 --crf 18 --preset medium
ffenc=(-c:v mpeg4 -b:v 4M)
run_case "mpeg4 at 4 Mb/s" --codec mpeg4 --bitrate 4M
