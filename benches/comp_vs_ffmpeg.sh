#!/usr/bin/env bash
# Times `vidkompy comp` against a plain `ffmpeg -filter_complex overlay` run given the true
# offsets, on the same pair with the same encoder settings, for two encoders: libx264 (crf 18,
# preset medium), whose cost hides the cost of alignment, and mpeg4 at 4 Mb/s, cheap enough that
# decoding and alignment dominate. Reports wall time (best of RUNS), the ratio to ffmpeg, peak
# RSS and the frames decoded, for `comp` as it runs by default (one pass when it can), with
# `--path two-pass`, and with `--placement` given (two passes, no placement search).
# The pairs, from ../shared/media:
#   interview: fg = 3 s of interview-1080p24.mp4 from 1.5 s, 960x540 at (480, 270), re-graded,
#              with its audio; bg the whole clip (1080p).
#   film:      fg = 6 s of film-720p24.mp4 from 1 s, 640x360 at (320, 180), re-graded, with its
#              audio; bg the whole clip (720p).
# Usage: benches/comp_vs_ffmpeg.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
media=../shared/media
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --features ffmpeg --quiet

# fg_of NAME SRC START SECONDS X Y W H: a cropped, re-graded fg with its audio.
fg_of() {
  ffmpeg -v error -nostdin -y -ss "$3" -i "$2" -t "$4" \
    -vf "crop=$7:$8:$5:$6,eq=brightness=0.06:contrast=1.15:gamma=0.9" \
    -c:v libx264 -preset veryfast -crf 16 -c:a aac "$work/$1.mp4"
}
fg_of interview "$media/interview-1080p24.mp4" 1.5 3 480 270 960 540
fg_of film "$media/film-720p24.mp4" 1 6 320 180 640 360

# "seconds peak_kib" of one run.
measure() { /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>&1; cat "$work/time"; }
# The best (lowest) time and the highest peak RSS of several runs.
best() { sort -n | awk 'NR == 1 { t = $1 } { if ($2 > m) m = $2 } END { print t, m }'; }
# `"fg": N, "bg": M` from a report's frames_decoded.
decoded() { grep -o '"frames_decoded": {"fg": [0-9]*, "bg": [0-9]*' "$1" | sed 's/"frames_decoded": {//'; }

# run_case PAIR SRC START X Y ENCODER-ARGS...: ffenc holds ffmpeg's encoder arguments.
run_case() {
  local pair=$1 src=$2 start=$3 x=$4 y=$5; shift 5
  local -a ours=("$@")
  local fg="$work/$pair.mp4"
  local vd=() vt=() vp=() ff=()
  for _ in $(seq "$runs"); do
    vd+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --bg "$src" --fg "$fg" -o "$work/vd.mp4" --report "$work/vd.json")")
    vt+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --path two-pass --bg "$src" --fg "$fg" -o "$work/vt.mp4" --report "$work/vt.json")")
    vp+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --path two-pass --placement "$x,$y" --bg "$src" --fg "$fg" -o "$work/vp.mp4")")
    # What ffmpeg needs to be told: where (x, y) and when (bg from `start`).
    ff+=("$(measure ffmpeg -v error -nostdin -y -i "$src" -i "$fg" -filter_complex \
      "[0:v]trim=start=$start,setpts=PTS-STARTPTS[b];[b][1:v]overlay=$x:$y:shortest=1[v]" \
      -map "[v]" -map 1:a "${ffenc[@]}" -c:a copy "$work/ff.mp4")")
  done
  read -r d dm < <(printf '%s\n' "${vd[@]}" | best)
  read -r t tm < <(printf '%s\n' "${vt[@]}" | best)
  read -r p pm < <(printf '%s\n' "${vp[@]}" | best)
  read -r f fm < <(printf '%s\n' "${ff[@]}" | best)
  local path
  path=$(grep -o '"path": "[a-z-]*"' "$work/vd.json" | sed 's/"path": //')
  printf '  %s:\n' "$pair"
  printf '    comp (default, ran %s):           %.2f s (%.2fx ffmpeg), peak %d MiB (+%d), decoded %s\n' "$path" "$d" \
    "$(echo "$d / $f" | bc -l)" $((dm / 1024)) $(((dm - fm) / 1024)) "$(decoded "$work/vd.json")"
  printf '    comp --path two-pass:                  %.2f s (%.2fx ffmpeg), peak %d MiB (+%d), decoded %s\n' "$t" \
    "$(echo "$t / $f" | bc -l)" $((tm / 1024)) $(((tm - fm) / 1024)) "$(decoded "$work/vt.json")"
  printf '    comp --path two-pass --placement:      %.2f s (%.2fx ffmpeg), peak %d MiB\n' "$p" "$(echo "$p / $f" | bc -l)" $((pm / 1024))
  printf '    ffmpeg overlay (told the offsets):     %.2f s, peak %d MiB\n' "$f" $((fm / 1024))
  for out in vd vt ff; do
    printf '    %s: %s frames\n' "$out" "$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$work/$out.mp4")"
  done
}

both_pairs() {
  run_case interview "$media/interview-1080p24.mp4" 1.5 480 270 "$@"
  run_case film "$media/film-720p24.mp4" 1 320 180 "$@"
}

echo "best of $runs runs"
echo "libx264 crf 18, preset medium"
ffenc=(-c:v libx264 -crf 18 -preset medium)
both_pairs --codec libx264 --crf 18 --preset medium
echo "mpeg4 at 4 Mb/s"
ffenc=(-c:v mpeg4 -b:v 4M)
both_pairs --codec mpeg4 --bitrate 4M
