#!/usr/bin/env bash
# Times `vidkompy comp` against a plain `ffmpeg -filter_complex overlay` run given the true
# offsets, on the same pair with the same encoder settings, for two encoders: libx264 (crf 18,
# preset medium), whose cost hides the cost of alignment, and mpeg4 at 4 Mb/s, cheap enough that
# decoding and alignment dominate. Reports wall time (best of RUNS), the ratio to ffmpeg, peak
# RSS, the path `comp` took and the frames it decoded, for `comp` as it runs by default (the
# scout, then one pass over the span it found), with `--path two-pass`, and with `--placement`
# given (two passes, no placement search). ffmpeg's trim decodes bg up to fg's start, as a
# plain overlay told the answer must.
# The pairs, from ../shared/media (each fg cropped and re-graded; the truth is in the table):
#   interview: fg 3 s of the 1080p interview from 1.5 s, 960x540 at (480, 270), with audio;
#              bg the clip (fg from bg's start, 1080p).
#   film:      fg 6 s of the 720p film from 1 s, 640x360 at (320, 180), with audio; bg the clip.
#   late:      bg 31 s at 720p (film, interview, both mirrored, again); fg 4 s from 17 s.
#   ten-bit:   bg the film in 10-bit 4:2:0; fg 6 s from 1 s (8-bit).
#   long:      bg 8 min at 720p (the film mirrored, looped), then the interview and the film;
#              fg 10 s from 470 s, near bg's end (mpeg4 only: the encoder is not the point).
#   scaled:    fg the film pair's crop enlarged to 854x480, so comp shrinks it to 0.75 (ffmpeg
#              is told the scale too); mpeg4 only. Its placement is printed against the truth.
#   4k:        bg the interview's first 6 s enlarged to 3840x2160 (x264, a keyframe every 2 s);
#              fg 3 s of it from 1.5 s, 1920x1080 at (960, 540); mpeg4 only.
#   late through the live session: the late pair with `--path one-pass` (no scout), mpeg4.
#   refusal:   fg from the interview against the film: comp must refuse (exit 1); timed
#              against ffmpeg decoding both files once (-f null).
# Usage: benches/comp_vs_ffmpeg.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
media=../shared/media
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --features ffmpeg --quiet
film="$media/film-720p24.mp4"
interview="$media/interview-1080p24.mp4"

# fg_of NAME SRC START SECONDS X Y W H [AUDIO]: a cropped, re-graded fg (with audio unless "-an").
fg_of() {
  local audio=(-c:a aac)
  [ "${9:-}" = "-an" ] && audio=(-an)
  ffmpeg -v error -nostdin -y -ss "$3" -i "$2" -t "$4" \
    -vf "crop=$7:$8:$5:$6,eq=brightness=0.06:contrast=1.15:gamma=0.9" \
    -c:v libx264 -preset veryfast -crf 16 "${audio[@]}" "$work/$1.mp4"
}
fg_of interview "$interview" 1.5 3 480 270 960 540
fg_of film "$film" 1 6 320 180 640 360
# 720p pieces at 24 fps, then the programmes (mpeg4, a keyframe every 2 s).
s720="scale=1280:720,setsar=1,fps=24"
ffmpeg -v error -nostdin -y -i "$film" -i "$interview" -filter_complex \
  "[0:v]$s720,split[f1][f2];[1:v]$s720,split[i1][i2];[f2]hflip[f3];[i2]hflip[i3];[f1][i1][f3][i3]concat=n=4:v=1:a=0[v]" \
  -map "[v]" -c:v mpeg4 -q:v 3 -g 48 "$work/late-bg.mp4"
fg_of late "$work/late-bg.mp4" 17 4 320 180 640 360 -an
ffmpeg -v error -nostdin -y -i "$film" -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p10le -c:a copy \
  "$work/ten-bit-bg.mp4"
cp "$work/film.mp4" "$work/ten-bit.mp4"
ffmpeg -v error -nostdin -y -stream_loop 59 -i "$film" -i "$interview" -i "$film" -filter_complex \
  "[0:v]$s720,hflip,trim=end_frame=11040[a];[1:v]$s720[b];[2:v]$s720[c];[a][b][c]concat=n=3:v=1:a=0[v]" \
  -map "[v]" -c:v mpeg4 -q:v 3 -g 48 "$work/long-bg.mp4"
fg_of long "$work/long-bg.mp4" 460 10 320 180 640 360 -an
fg_of refusal "$interview" 1 3 320 180 640 360 -an
ffmpeg -v error -nostdin -y -i "$interview" -t 6 -vf scale=3840:2160:flags=bicubic,setsar=1 \
  -c:v libx264 -preset veryfast -crf 20 -g 48 -an "$work/4k-bg.mp4"
fg_of 4k "$work/4k-bg.mp4" 1.5 3 960 540 1920 1080 -an
ffmpeg -v error -nostdin -y -ss 1 -i "$film" -t 6 \
  -vf "crop=640:360:320:180,scale=854:480,eq=brightness=0.06:contrast=1.15:gamma=0.9" \
  -c:v libx264 -preset veryfast -crf 16 -c:a aac "$work/scaled.mp4"

# "seconds peak_kib" of one run.
measure() { /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>&1 || true; tail -n 1 "$work/time"; }
# The best (lowest) time and the highest peak RSS of several runs.
best() { sort -n | awk 'NR == 1 { t = $1 } { if ($2 > m) m = $2 } END { print t, m }'; }
# `"fg": N, "bg": M` from a report's frames_decoded.
decoded() { grep -o '"frames_decoded": {"fg": [0-9]*, "bg": [0-9]*' "$1" | sed 's/"frames_decoded": {//'; }
path_of() { grep -o '"path": "[a-z+-]*"' "$1" | sed 's/"path": //'; }
ratio() { echo "$1 / $2" | bc -l; }

# run_case PAIR BG START X Y ENCODER-ARGS...: ffenc holds ffmpeg's encoder arguments.
run_case() {
  local pair=$1 src=$2 start=$3 x=$4 y=$5; shift 5
  local -a ours=("$@")
  local fg="$work/$pair.mp4" audio=(-an)
  ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$fg" | grep -q . && audio=(-map 1:a -c:a copy)
  local vd=() vt=() vp=() ff=()
  for _ in $(seq "$runs"); do
    vd+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --bg "$src" --fg "$fg" -o "$work/vd.mp4" --report "$work/vd.json")")
    vt+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --path two-pass --bg "$src" --fg "$fg" -o "$work/vt.mp4" --report "$work/vt.json")")
    vp+=("$(measure target/release/vidkompy comp -q -y "${ours[@]}" --path two-pass --placement "$x,$y${pscale:+,$pscale}" --bg "$src" --fg "$fg" -o "$work/vp.mp4")")
    # What ffmpeg needs to be told: where (x, y) and when (bg from `start`).
    ff+=("$(measure ffmpeg -v error -nostdin -y -i "$src" -i "$fg" -filter_complex \
      "[0:v]trim=start=$start,setpts=PTS-STARTPTS[b];[1:v]${fgscale:-null}[f];[b][f]overlay=$x:$y:shortest=1[v]" \
      -map "[v]" "${audio[@]}" "${ffenc[@]}" "$work/ff.mp4")")
  done
  read -r d dm < <(printf '%s\n' "${vd[@]}" | best)
  read -r t tm < <(printf '%s\n' "${vt[@]}" | best)
  read -r p pm < <(printf '%s\n' "${vp[@]}" | best)
  read -r f fm < <(printf '%s\n' "${ff[@]}" | best)
  printf '  %s:\n' "$pair"
  printf '    comp (default, ran %s): %.2f s (%.2fx ffmpeg), peak %d MiB (%+d), decoded %s\n' "$(path_of "$work/vd.json")" \
    "$d" "$(ratio "$d" "$f")" $((dm / 1024)) $(((dm - fm) / 1024)) "$(decoded "$work/vd.json")"
  printf '    comp --path two-pass:      %.2f s (%.2fx ffmpeg), peak %d MiB (%+d), decoded %s\n' "$t" \
    "$(ratio "$t" "$f")" $((tm / 1024)) $(((tm - fm) / 1024)) "$(decoded "$work/vt.json")"
  printf '    comp --placement given:    %.2f s (%.2fx ffmpeg), peak %d MiB\n' "$p" "$(ratio "$p" "$f")" $((pm / 1024))
  printf '    ffmpeg overlay (told):     %.2f s, peak %d MiB\n' "$f" $((fm / 1024))
  local map
  map=$(grep -o '"map": \[[0-9]*' "$work/vd.json" | grep -o '[0-9]*$')
  printf '    first bg frame under fg: default %s, two-pass %s; frames written: %s\n' "$map" \
    "$(grep -o '"map": \[[0-9]*' "$work/vt.json" | grep -o '[0-9]*$')" \
    "$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$work/vd.mp4")"
}

# The late pair through the live session alone (`--path one-pass`, as a host whose bg cannot
# seek drives it: no scout, the window slides from bg's start): time, ratio to the plain overlay,
# peak RSS, whether every frame landed on its true bg frame (fg from 17 s: bg frame 408 + i).
live_late() {
  local fg="$work/late.mp4" vo=() ff=()
  for _ in $(seq "$runs"); do
    vo+=("$(measure target/release/vidkompy comp -q -y "$@" --path one-pass --bg "$work/late-bg.mp4" --fg "$fg" -o "$work/lo.mp4" --report "$work/lo.json")")
    ff+=("$(measure ffmpeg -v error -nostdin -y -i "$work/late-bg.mp4" -i "$fg" -filter_complex \
      "[0:v]trim=start=17,setpts=PTS-STARTPTS[b];[b][1:v]overlay=320:180:shortest=1[v]" -map "[v]" "${ffenc[@]}" "$work/ff.mp4")")
  done
  read -r o om < <(printf '%s\n' "${vo[@]}" | best)
  read -r f fm < <(printf '%s\n' "${ff[@]}" | best)
  local exact
  exact=$(grep -o '"map": \[[0-9, ]*' "$work/lo.json" | grep -o '[0-9][0-9]*' | awk '$1 == 408 + NR - 1 { n++ } END { print n + 0 "/" NR }')
  printf '  late, --path one-pass (no scout): %.2f s (%.2fx ffmpeg), peak %d MiB (%+d), frames exact %s\n' \
    "$o" "$(ratio "$o" "$f")" $((om / 1024)) $(((om - fm) / 1024)) "$exact"
}

# The refusal: comp's exit status and time against ffmpeg decoding both files once.
refusal() {
  local fg="$work/refusal.mp4" rc=0
  local vd=() ff=()
  for _ in $(seq "$runs"); do
    vd+=("$(measure target/release/vidkompy comp -q -y "$@" --bg "$film" --fg "$fg" -o "$work/no.mp4")")
    ff+=("$(measure ffmpeg -v error -nostdin -i "$film" -i "$fg" -map 0:v -map 1:v -f null -)")
  done
  target/release/vidkompy comp -q -y "$@" --bg "$film" --fg "$fg" -o "$work/no.mp4" 2>/dev/null || rc=$?
  read -r d dm < <(printf '%s\n' "${vd[@]}" | best)
  read -r f fm < <(printf '%s\n' "${ff[@]}" | best)
  printf '  refusal (exit %d): comp %.2f s (%.2fx ffmpeg decoding both once, %.2f s), peak %d MiB\n' "$rc" "$d" \
    "$(ratio "$d" "$f")" "$f" $((dm / 1024))
}

all_pairs() {
  run_case interview "$interview" 1.5 480 270 "$@"
  run_case film "$film" 1 320 180 "$@"
  run_case late "$work/late-bg.mp4" 17 320 180 "$@"
  run_case ten-bit "$work/ten-bit-bg.mp4" 1 320 180 "$@"
}

echo "best of $runs runs"
echo "libx264 crf 18, preset medium"
ffenc=(-c:v libx264 -crf 18 -preset medium)
all_pairs --codec libx264 --crf 18 --preset medium
echo "mpeg4 at 4 Mb/s"
ffenc=(-c:v mpeg4 -b:v 4M)
all_pairs --codec mpeg4 --bitrate 4M
run_case long "$work/long-bg.mp4" 460 320 180 --codec mpeg4 --bitrate 4M
run_case 4k "$work/4k-bg.mp4" 1.5 960 540 --codec mpeg4 --bitrate 4M
fgscale=scale=640:360 pscale=0.7494 run_case scaled "$film" 1 320 180 --codec mpeg4 --bitrate 4M
printf '    scaled placement (truth 640x360 at 320,180, scale 0.7494 across, 0.75 down): %s\n' \
  "$(grep -o '"placement": {[^}]*}' "$work/vd.json" | head -1)"
live_late --codec mpeg4 --bitrate 4M
refusal --codec mpeg4 --bitrate 4M
