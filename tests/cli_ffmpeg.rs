//! The command line on real files through FFmpeg: pairs derived from ../shared/media by the
//! ffmpeg command (crop, grade, trim, re-time, with or without audio), checked against the
//! truth of how they were made; and every error case.

mod common;

#[cfg(not(feature = "ffmpeg"))]
#[test]
fn needs_the_ffmpeg_feature() {
    eprintln!("NOT RUN: these tests need `cargo test --features ffmpeg` (CI runs them with --all-features)");
}

#[cfg(feature = "ffmpeg")]
mod with_ffmpeg {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use vidkompy::alignment::Alignment;

    use super::common;

    fn bin() -> Command {
        Command::new(env!("CARGO_BIN_EXE_vidkompy"))
    }

    /// A temporary folder for one test, removed when the test ends.
    fn dir(name: &str) -> common::TempDir {
        common::TempDir::new("ffmpeg", name)
    }

    /// Runs the ffmpeg command; `None` (after saying why) when it cannot run.
    fn ffmpeg(args: &[&str]) -> Option<()> {
        match Command::new("ffmpeg").args(["-v", "error", "-nostdin", "-y"]).args(args).status() {
            Ok(s) => {
                assert!(s.success(), "ffmpeg {args:?} failed");
                Some(())
            }
            Err(e) => {
                common::cannot_run(&format!("cannot run ffmpeg: {e}"));
                None
            }
        }
    }

    /// A fg derived from `src` by the ffmpeg command: `seconds` from `start`, through `filters`,
    /// H.264 (high quality, so the pair differs by the grade, not by coding), then `audio`
    /// (codec options, or `-an`). `None` (after saying why) when ffmpeg cannot run.
    fn derive(src: &Path, out: &Path, start: &str, seconds: &str, filters: &str, audio: &[&str]) -> Option<()> {
        let (src, out) = (s(src), s(out));
        let mut args = vec!["-ss", start, "-i", &src, "-t", seconds, "-vf", filters];
        args.extend(["-c:v", "libx264", "-preset", "veryfast", "-crf", "16"]);
        args.extend(audio);
        args.push(&out);
        ffmpeg(&args)
    }

    /// `comp --path two-pass` of fg onto bg with a report, which must succeed; the report's
    /// alignment.
    fn comp_with_report(bg: &Path, fg: &Path, out: &Path) -> Alignment {
        let report = out.with_extension("json");
        let r = bin()
            .args(["comp", "-q", "--preset", "ultrafast", "--path", "two-pass"])
            .args(["--bg", &s(bg), "--fg", &s(fg), "-o", &s(out)])
            .args(["--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let json = std::fs::read_to_string(&report).unwrap();
        assert!(json.contains("\"timings_ms\""));
        let a = Alignment::from_json(&json).unwrap();
        // Pass 1 decodes each frame of both files exactly once.
        let once = format!("\"analysis\": {{\"fg\": {}, \"bg\": {}}}", a.fg_frames, a.bg_frames);
        assert!(json.contains(&once), "{once} not in the report");
        assert!(json.contains("\"path\": \"two-pass\""), "{json}");
        // The run in numbers: decoding per pass adds up, and the analyzer's stages fit in it.
        let timings = &json[json.find("\"timings_ms\"").unwrap()..];
        let ms = |key: &str| -> f64 {
            let at = timings.find(&format!("\"{key}\": ")).unwrap_or_else(|| panic!("no {key} in {timings}"))
                + key.len()
                + 4;
            timings[at..].split([',', '}']).next().unwrap().trim().parse().unwrap()
        };
        assert!((ms("decode") - ms("decode_analysis") - ms("decode_composite")).abs() < 0.01, "{json}");
        assert!(ms("placement") + ms("time_map") + ms("placement_check") <= ms("analyze") + 0.01, "{json}");
        assert!(ms("time_map") > 0.0 && ms("decode_analysis") > 0.0 && ms("decode_composite") > 0.0, "{json}");
        // Every pair these tests composite is a true one: its time map is confident.
        assert!(a.time.overall_confidence >= 0.8, "time-map confidence {}", a.time.overall_confidence);
        a
    }

    /// ffprobe's answer for one stream entry, as text.
    fn probe(path: &Path, stream: &str, entries: &str) -> String {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", stream, "-show_entries"])
            .arg(format!("stream={entries}"))
            .args(["-of", "csv=p=0"])
            .arg(path)
            .output()
            .expect("ffprobe comes with ffmpeg");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn frame_times(path: &Path) -> Vec<String> {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "v", "-show_entries", "frame=pts_time", "-of", "csv=p=0"])
            .arg(path)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }

    fn s(p: &Path) -> String {
        p.to_string_lossy().to_string()
    }

    fn stderr(o: &Output) -> String {
        String::from_utf8_lossy(&o.stderr).to_string()
    }

    /// The source frame ffmpeg's fps filter shows at output frame `i` when re-timing
    /// `from` fps to `to` fps: the last input frame whose time, rounded to the output grid, is
    /// not after the slot.
    fn fps_filter_source(i: usize, from: f64, to: f64) -> usize {
        let mut k = 0;
        while ((k + 1) as f64 * to / from + 0.5).floor() as usize <= i {
            k += 1;
        }
        k
    }

    fn no_leftovers(d: &Path) {
        let names: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
    }

    #[test]
    fn interview_cropped_graded_trimmed_with_its_audio() {
        let Some(src) = common::media("interview-1080p24.mp4") else { return };
        let d = dir("interview");
        let fg = d.join("fg.mp4");
        // fg: 3 s from 1.5 s into the clip, 960×540 at (480, 270), re-graded, with audio.
        let grade = "crop=960:540:480:270,eq=brightness=0.06:contrast=1.15:gamma=0.9";
        if derive(&src, &fg, "1.5", "3", grade, &["-c:a", "aac"]).is_none() {
            return;
        }
        let out = d.join("out.mp4");
        let a = comp_with_report(&src, &fg, &out);
        assert_eq!((a.placement.x, a.placement.y, a.placement.width, a.placement.height), (480, 270, 960, 540));
        let fg_frames = a.fg_frames;
        assert_eq!(fg_frames, 72);
        // Same rate: fg frame i is source frame 36 + i.
        let exact = (0..fg_frames).filter(|&i| a.time.map[i] as usize == 36 + i).count();
        assert_eq!(exact, fg_frames, "{:?}", a.time.map);
        // Output: fg's frame count, rate and timestamps, H.264, fg's audio (copied).
        assert_eq!(probe(&out, "v", "codec_name,r_frame_rate,nb_read_frames"), "h264,24/1,72");
        assert_eq!(frame_times(&out), frame_times(&fg));
        assert_eq!(probe(&out, "a", "codec_name"), "aac");
        // By default, the one pass: the same map, each fg frame decoded once and bg only up to
        // the last frame fg needs and the lookahead after it, fg's audio kept.
        let (once, report) = (d.join("once.mp4"), d.join("once.json"));
        let r = bin()
            .args(["comp", "-q", "--preset", "ultrafast", "--bg", &s(&src), "--fg", &s(&fg)])
            .args(["-o", &s(&once), "--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let json = std::fs::read_to_string(&report).unwrap();
        let live = Alignment::from_json(&json).unwrap();
        assert_eq!((live.placement.x, live.placement.y), (480, 270));
        assert_eq!(live.time.map, a.time.map);
        // One keyframe at 0 s, fg from 1.5 s: the scout asks for a denser sample or finds fg;
        // either way one pass, from bg's start.
        assert!(json.contains("one-pass\""), "{json}");
        let decoded = &json[json.find("\"frames_decoded\": {\"fg\": ").unwrap() + 24..];
        let fg_decoded: usize = decoded.split(',').next().unwrap().trim().parse().unwrap();
        let bg_decoded: usize =
            decoded.split("\"bg\": ").nth(1).unwrap().split(',').next().unwrap().trim().parse().unwrap();
        // fg at most twice (the scout and the one pass); bg's one keyframe for the scout.
        assert!(fg_decoded <= 2 * 72, "{json}");
        // The scout skips fg's frames no other frame refers to (x264's B-frames).
        let scouted = &json[json.find("\"scout\": {\"fg\": ").unwrap() + 15..];
        let scout_fg: usize = scouted.split(',').next().unwrap().trim().parse().unwrap();
        assert!(scout_fg > 0 && scout_fg < 72, "the scout decoded {scout_fg} of fg's 72 frames");
        assert!(bg_decoded <= 1 + 36 + 72 + 60, "bg frames decoded: {bg_decoded}");
        assert_eq!(probe(&once, "v", "nb_read_frames"), "72");
        assert_eq!(probe(&once, "a", "codec_name"), "aac");
        no_leftovers(&d);
    }

    /// A bg of over ten minutes with fg near its end, from the clips: the film, mirrored and
    /// looped for 592 s (14800 frames at 25 fps), then the interview (188 frames), then the
    /// film again. fg is frames 25 to 149 of that interview part, cropped and graded. The
    /// analyzer thins its copies in time long before fg's content appears, finds it on the
    /// copies most like fg's, and asks for the frames the map needs again.
    #[test]
    fn fg_near_the_end_of_a_ten_minute_bg() {
        let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
        else {
            return;
        };
        let d = dir("long");
        let (part, bg, fg) = (d.join("interview25.mkv"), d.join("bg.mkv"), d.join("fg.mkv"));
        // The interview at 320x180, 25 fps, once, losslessly: bg and fg take the same frames.
        let small = "scale=320:180,setsar=1,fps=25";
        if ffmpeg(&["-i", &s(&interview), "-vf", small, "-an", "-c:v", "ffv1", &s(&part)]).is_none() {
            return;
        }
        let graph = format!(
            "[0:v]{small},hflip,trim=end_frame=14800[a];[1:v]null[b];[2:v]{small}[c];[a][b][c]concat=n=3:v=1:a=0[v]"
        );
        let (film, part_s) = (s(&film), s(&part));
        let bg_args = ["-stream_loop", "73", "-i", &film, "-i", &part_s, "-i", &film, "-filter_complex", &graph];
        let fg_filter =
            "trim=start_frame=25:end_frame=150,setpts=PTS-STARTPTS,crop=160:90:100:46,eq=brightness=0.04:contrast=1.1";
        if ffmpeg(&[&bg_args[..], &["-map", "[v]", "-c:v", "mpeg4", "-q:v", "2", &s(&bg)]].concat()).is_none()
            || ffmpeg(&["-i", &part_s, "-vf", fg_filter, "-c:v", "libx264", "-crf", "14", &s(&fg)]).is_none()
        {
            return;
        }
        let a = comp_with_report(&bg, &fg, &d.join("out.mp4"));
        assert!(a.bg_frames > 15_000, "{} bg frames", a.bg_frames);
        assert_eq!((a.placement.x, a.placement.y, a.placement.scale), (100, 46, 1.0), "{:?}", a.placement);
        assert_eq!(a.fg_frames, 125);
        let exact = (0..125).filter(|&i| a.time.map[i] as usize == 14800 + 25 + i).count();
        assert_eq!(exact, 125, "{:?}", a.time.map);
        // By default the scout finds fg's span from bg's keyframes and the one pass reads bg
        // only there: the same map, a fraction of bg decoded.
        let (once, report) = (d.join("once.mp4"), d.join("once.json"));
        let r = bin()
            .args(["comp", "-q", "--codec", "mpeg4", "--bg", &s(&bg), "--fg", &s(&fg)])
            .args(["-o", &s(&once), "--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let json = std::fs::read_to_string(&report).unwrap();
        assert!(json.contains("\"path\": \"scout+one-pass\""), "{json}");
        assert!(json.contains("\"verdict\": \"window\""), "{json}");
        let live = Alignment::from_json(&json).unwrap();
        assert_eq!(live.time.map, a.time.map);
        assert_eq!(live.bg_frames, a.bg_frames);
        assert_eq!((live.placement.x, live.placement.y), (100, 46));
        let bg_decoded = decoded_bg(&json);
        assert!(bg_decoded < a.bg_frames / 4, "bg frames decoded: {bg_decoded} of {}", a.bg_frames);
        no_leftovers(&d);
    }

    /// fg late in a programme through the one pass alone (`--path one-pass`: the live session,
    /// as a host with a source that cannot seek drives it). bg: the film, the interview, the
    /// film mirrored (320x180, 24 fps, 18 s); fg: 3 s of the mirrored film from 11.5 s (frame
    /// 276), cropped and graded. The session's window slides past the first 276 frames (the
    /// film before looks like fg's but never clearly shows it) and every frame lands on its
    /// true bg frame. It used to give up after two windows (NO_MATCH, fg "not found").
    #[test]
    fn fg_late_in_bg_through_the_one_pass() {
        let d = dir("late-one-pass");
        let Some((bg, fg)) = late_programme(&d, false) else { return };
        let (out, report) = (d.join("out.mp4"), d.join("out.json"));
        let r = bin()
            .args(["comp", "-q", "--codec", "mpeg4", "--path", "one-pass", "--bg", &s(&bg), "--fg", &s(&fg)])
            .args(["-o", &s(&out), "--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let json = std::fs::read_to_string(&report).unwrap();
        let a = Alignment::from_json(&json).unwrap();
        assert_eq!((a.placement.x, a.placement.y, a.placement.scale), (80, 46, 1.0), "{:?}", a.placement);
        assert_eq!(a.fg_frames, 72);
        let exact = (0..72).filter(|&i| a.time.map[i] as usize == 276 + i).count();
        assert_eq!(exact, 72, "{:?}", a.time.map);
        no_leftovers(&d);
    }

    /// The same programme with a sound track, fg without one: bg's sound must follow fg's
    /// timing, which takes two passes; pass 1 reads bg only in the scout's window (it read
    /// all 432 frames before). Every frame lands on its true bg frame, numbered in the whole
    /// of bg, and the output carries bg's sound.
    #[test]
    fn bg_sound_wanted_takes_two_passes_over_the_scout_s_window() {
        let d = dir("late-two-passes");
        let Some((bg, fg)) = late_programme(&d, true) else { return };
        let (out, report) = (d.join("out.mp4"), d.join("out.json"));
        let r = bin()
            .args(["comp", "-q", "--codec", "mpeg4", "--bg", &s(&bg), "--fg", &s(&fg)])
            .args(["-o", &s(&out), "--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let json = std::fs::read_to_string(&report).unwrap();
        assert!(json.contains("\"path\": \"scout+two-pass\""), "{json}");
        let analysis = &json[json.find("\"analysis\": {").unwrap()..];
        let read: usize = analysis.split("\"bg\": ").nth(1).unwrap().split('}').next().unwrap().trim().parse().unwrap();
        assert!(read < 200, "pass 1 read {read} of bg's 432 frames: {json}");
        let a = Alignment::from_json(&json).unwrap();
        assert_eq!((a.placement.x, a.placement.y), (80, 46), "{:?}", a.placement);
        assert_eq!((a.fg_frames, a.bg_frames), (72, 432));
        let exact = (0..72).filter(|&i| a.time.map[i] as usize == 276 + i).count();
        assert_eq!(exact, 72, "{:?}", a.time.map);
        assert_eq!(probe(&out, "a", "codec_name"), "aac");
        no_leftovers(&d);
    }

    /// A programme of the film, the interview and the film mirrored (320x180, 24 fps, 18 s,
    /// with a tone when `sound`), and fg: 3 s of the mirrored film from 11.5 s (frame 276),
    /// cropped at (80, 46) and graded, without sound. `None` (said) without the media.
    fn late_programme(d: &Path, sound: bool) -> Option<(PathBuf, PathBuf)> {
        let (film, interview) = (common::media("film-720p24.mp4")?, common::media("interview-1080p24.mp4")?);
        let (bg, fg) = (d.join("bg.mkv"), d.join("fg.mkv"));
        let small = "scale=320:180,setsar=1,fps=24";
        let graph = format!(
            "[0:v]{small},trim=end_frame=120,setpts=PTS-STARTPTS[a];[1:v]{small},trim=end_frame=120,setpts=PTS-STARTPTS[b];[2:v]{small},hflip[c];[a][b][c]concat=n=3:v=1:a=0[v]"
        );
        let (film, interview) = (s(&film), s(&interview));
        let mut args = vec!["-i", &film, "-i", &interview, "-i", &film];
        if sound {
            args.extend(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=18"]);
        }
        args.extend(["-filter_complex", &graph, "-map", "[v]", "-c:v", "ffv1"]);
        if sound {
            args.extend(["-map", "3:a", "-c:a", "aac"]);
        }
        let bg_path = s(&bg);
        args.push(&bg_path);
        let fg_filter =
            "trim=start_frame=276:end_frame=348,setpts=PTS-STARTPTS,crop=160:90:80:46,eq=brightness=0.06:contrast=1.15";
        ffmpeg(&args)?;
        ffmpeg(&["-i", &bg_path, "-an", "-vf", fg_filter, "-c:v", "libx264", "-crf", "14", &s(&fg)])?;
        Some((bg, fg))
    }

    /// bg frames a report says were decoded, all stages.
    fn decoded_bg(json: &str) -> usize {
        let decoded = &json[json.find("\"frames_decoded\": {\"fg\": ").unwrap()..];
        decoded.split("\"bg\": ").nth(1).unwrap().split(',').next().unwrap().trim().parse().unwrap()
    }

    /// A pair that does not match on real footage: fg is the film from 5 s, bg its first 4 s
    /// (the same scenes' look, none of fg's instants). Refused with exit 1, the message names
    /// the evidence, and neither the output nor the report is written; an existing output
    /// stays as it was.
    #[test]
    fn the_same_film_s_later_part_is_refused() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("film-later");
        let (fg, bg) = (d.join("fg.mp4"), d.join("bg.mp4"));
        if derive(&src, &fg, "5", "3", "crop=640:360:320:180", &["-an"]).is_none()
            || derive(&src, &bg, "0", "4", "null", &["-an"]).is_none()
        {
            return;
        }
        let (out, report) = (d.join("out.mp4"), d.join("report.json"));
        std::fs::write(&out, b"an earlier result").unwrap();
        let r = bin()
            .args(["comp", "-q", "-y", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out), "--report", &s(&report)])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
        assert!(stderr(&r).contains("fg frames have no counterpart in bg"), "{}", stderr(&r));
        assert_eq!(std::fs::read(&out).unwrap(), b"an earlier result");
        assert!(!report.exists());
        no_leftovers(&d);
    }

    /// A white box over the top left of fg's content, where the person is; the right half is
    /// the film's black backdrop. Both halves without the box place fg (0.99), and frames were
    /// compared on the first found, the black one, which cannot tell bg's frames apart: 32 of
    /// 48 fg frames were put on bg frame 24, exit 0. The half with the most detail is chosen
    /// now (the bottom one, with the person): every frame exact on both paths.
    #[test]
    fn a_box_over_the_detail_leaves_frames_compared_on_the_half_that_has_some() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("box-over-detail");
        let (fg, bg) = (d.join("fg.mkv"), d.join("bg.mp4"));
        let boxed = "crop=640:360:320:200,eq=contrast=1.1,drawbox=x=20:y=20:w=200:h=120:color=white@1:t=fill";
        if derive(&src, &fg, "1", "2", boxed, &["-an"]).is_none() {
            return;
        }
        ffmpeg(&["-i", &s(&src), "-t", "4", "-an", "-c:v", "libx264", "-preset", "veryfast", "-g", "24", &s(&bg)])
            .unwrap();
        for path in ["two-pass", "auto"] {
            let (out, report) = (d.join(format!("out-{path}.y4m")), d.join(format!("{path}.json")));
            let r = bin()
                .args(["comp", "-q", "--path", path, "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out)])
                .args(["--report", &s(&report)])
                .output()
                .unwrap();
            assert!(r.status.success(), "{path}: {}", stderr(&r));
            let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
            let wrong: Vec<usize> = (0..a.fg_frames).filter(|&i| a.time.map[i] as usize != 24 + i).collect();
            assert!(wrong.is_empty(), "{path}: fg frames {wrong:?} off in {:?}", a.time.map);
            // The full-size check moves the placement a pixel (the box's edge): within 1 px.
            let p = a.placement;
            assert!((p.x - 320).abs() <= 1 && (p.y - 200).abs() <= 1, "{path}: {p:?}");
            if path == "two-pass" {
                // The check reads its 9 bg frames from keyframes (one a second): it decoded
                // 58 bg frames when it read on from each pair to the next, and picked pairs
                // regardless of where bg's keyframes lie.
                let json = std::fs::read_to_string(&report).unwrap();
                let check = &json[json.find("\"placement_check\": {").unwrap()..];
                let bg: usize =
                    check.split("\"bg\": ").nth(1).unwrap().split('}').next().unwrap().trim().parse().unwrap();
                assert!(bg <= 24, "the placement check decoded {bg} bg frames: {json}");
            }
        }
    }

    /// A crop of the film whose right third stays black in fg's samples: the unlit side of the
    /// room, which bg shows as dark. Both paths paste all of fg (the analyzer cut that side
    /// off as a bar, 584 of 960 columns, so a regraded fg would have shown bg's grade there),
    /// at the right place and frames.
    #[test]
    fn the_dark_side_of_a_shot_is_picture_not_a_bar() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("dark-side");
        let fg = d.join("fg.mp4");
        if derive(&src, &fg, "2", "4", "crop=960:540:200:100", &["-an"]).is_none() {
            return;
        }
        for path in ["two-pass", "auto"] {
            let (out, report) = (d.join(format!("out-{path}.y4m")), d.join(format!("{path}.json")));
            let r = bin()
                .args(["comp", "-q", "--path", path, "--bg", &s(&src), "--fg", &s(&fg), "-o", &s(&out)])
                .args(["--report", &s(&report), "--audio", "none"])
                .output()
                .unwrap();
            assert!(r.status.success(), "{path}: {}", stderr(&r));
            let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
            let p = a.placement;
            assert_eq!((p.x, p.y, p.width, p.height), (200, 100, 960, 540), "{path}: {p:?}");
            assert_eq!(p.content, vidkompy::Rect::full(960, 540), "{path}");
            let wrong: Vec<usize> = (0..a.fg_frames).filter(|&i| a.time.map[i] as usize != 48 + i).collect();
            assert!(wrong.is_empty(), "{path}: fg frames {wrong:?} off in {:?}", a.time.map);
        }
    }

    /// Another film, with bg's keyframes a second apart and its audio kept (so that the job
    /// would take two passes): the scout, seeing no keyframe like fg, refuses by default with
    /// exit 1 and nothing written, having decoded bg's keyframes only; `--path two-pass`
    /// analyses every frame and refuses too. A fg with graphics bg lacks is not refused by
    /// the scout (the accuracy table's default column: logo box, ticker strip).
    #[test]
    fn another_film_is_refused_by_the_scout_from_bg_s_keyframes() {
        let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
        else {
            return;
        };
        let d = dir("scout-refusal");
        let (fg, bg) = (d.join("fg.mp4"), d.join("bg.mkv"));
        if derive(&interview, &fg, "1", "3", "crop=640:360:320:180", &["-an"]).is_none() {
            return;
        }
        ffmpeg(&["-i", &s(&film), "-c:v", "mpeg4", "-q:v", "4", "-g", "24", "-c:a", "copy", &s(&bg)]).unwrap();
        let (out, report) = (d.join("out.mp4"), d.join("report.json"));
        let r = bin()
            .args(["comp", "-y", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out), "--report", &s(&report)])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
        assert!(stderr(&r).contains("the scout: no keyframe of bg showed fg"), "{}", stderr(&r));
        // The scout's scan: 8 keyframes of bg, and no frame decoded by an analysis.
        assert!(stderr(&r).contains(" 8 bg keyframes"), "{}", stderr(&r));
        assert!(!stderr(&r).contains("analyze"), "{}", stderr(&r));
        assert!(!out.exists() && !report.exists());
        no_leftovers(&d);
        let r = bin()
            .args(["comp", "-q", "-y", "--path", "two-pass", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out)])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
        assert!(!stderr(&r).contains("the scout"), "{}", stderr(&r));
        assert!(!out.exists());
        no_leftovers(&d);
        // Accepting any share of fg matched asks the two passes, not the scout, for a verdict.
        let r = bin()
            .args(["comp", "-q", "-y", "--accept-partial", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out)])
            .output()
            .unwrap();
        assert!(!stderr(&r).contains("the scout"), "{}", stderr(&r));
        // The one pass at a short lag slides its window along all of bg to its end: the scout
        // rules out every window on small copies, so no start analysis runs (each took about
        // 2 s). Without bg's sound, which a one pass cannot carry (fg has none).
        let r = bin()
            .args(["comp", "-y", "--path", "one-pass", "--audio", "none", "--live-lag", "12"])
            .args(["--bg", &s(&bg), "--fg", &s(&fg)])
            .args(["-o", &s(&d.join("one-pass.mp4"))])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
        let message = stderr(&r);
        let count_before = |word: &str| -> usize {
            let at = message.find(word).unwrap_or_else(|| panic!("no '{word}' in {message}"));
            message[..at].split_whitespace().last().unwrap().trim_start_matches('(').parse().unwrap()
        };
        let (windows, ruled_out) = (count_before("windows tried"), count_before("of them ruled out by the scout"));
        assert!(message.contains("bg ended after"), "{message}");
        assert!(windows > 1 && ruled_out == windows, "{message}");
        assert!(!d.join("one-pass.mp4").exists());
        no_leftovers(&d);
    }

    /// A fixed camera's later instants: fg is the interview from 4.2 s, bg its first 3.8 s.
    /// Every fg frame finds a bg frame that looks alike (the same room, the same person), so
    /// the time map matches all 72, but no better than bg's frames at wrong instants do:
    /// refused with exit 1 and the evidence, nothing written.
    #[test]
    fn a_fixed_camera_s_later_instants_are_refused() {
        let Some(src) = common::media("interview-1080p24.mp4") else { return };
        let d = dir("static");
        let (fg, bg) = (d.join("fg.mp4"), d.join("bg.mp4"));
        if derive(&src, &fg, "4.2", "3", "crop=960:540:480:270", &["-an"]).is_none()
            || derive(&src, &bg, "0", "3.8", "null", &["-an"]).is_none()
        {
            return;
        }
        let out = d.join("out.mp4");
        let r = bin().args(["comp", "-q", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out)]).output().unwrap();
        assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
        assert!(stderr(&r).contains("no better than by chance"), "{}", stderr(&r));
        let confidence: f64 = stderr(&r).split("time-map confidence ").nth(1).unwrap()[..4].parse().unwrap();
        assert!(confidence <= 0.3, "{}", stderr(&r));
        assert!(!out.exists());
        no_leftovers(&d);
        // The one pass refuses it too, at every lag: with a short one the start analysis sees
        // too few frames to tell, and the session's end verdict finds most matches no closer
        // than chance (its frames were out; the file is discarded).
        for lag in ["4", "20"] {
            let r = bin()
                .args(["comp", "-q", "--path", "one-pass", "--live-lag", lag, "--bg", &s(&bg), "--fg", &s(&fg)])
                .args(["-o", &s(&out)])
                .output()
                .unwrap();
            assert_eq!(r.status.code(), Some(1), "lag {lag}: {}", stderr(&r));
            assert!(!out.exists(), "lag {lag}");
            no_leftovers(&d);
        }
        // The same pair with --accept-partial composites, as asked.
        let r = bin()
            .args(["comp", "-q", "--accept-partial", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
    }

    #[test]
    fn film_retimed_to_30_without_audio_gets_bg_audio_moved() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("film");
        let fg = d.join("fg.mkv");
        // fg starts 2 s into bg (ffmpeg cannot find an fg that starts later; we must).
        let grade = "crop=640:360:320:200,eq=brightness=-0.04:contrast=1.1,fps=30";
        if derive(&src, &fg, "2", "4", grade, &["-an"]).is_none() {
            return;
        }
        let out = d.join("out.mov");
        let a = comp_with_report(&src, &fg, &out);
        assert_eq!((a.placement.x, a.placement.y, a.placement.scale), (320, 200, 1.0));
        assert_eq!(a.fg_frames, 120);
        let truth: Vec<usize> = (0..120).map(|i| 48 + fps_filter_source(i, 24.0, 30.0)).collect();
        let exact = (0..120).filter(|&i| a.time.map[i] as usize == truth[i]).count();
        let worst = (0..120).map(|i| (a.time.map[i] as i64 - truth[i] as i64).abs()).max().unwrap();
        eprintln!("film at 30 fps: {exact} of 120 exact, worst {worst}");
        assert!(exact >= 119 && worst <= 1, "{exact} exact, worst {worst}: {:?} vs {truth:?}", a.time.map);
        assert_eq!(probe(&out, "v", "r_frame_rate,nb_read_frames"), "30/1,120");
        // No fg audio: bg's, moved by the offset, covering fg's 4 s.
        let audio = probe(&out, "a", "codec_name,duration");
        let (codec, duration) = audio.split_once(',').expect("an audio stream");
        assert_eq!(codec, "aac");
        let duration: f64 = duration.parse().unwrap();
        assert!((duration - 4.0).abs() < 0.1, "audio lasts {duration} s");
        no_leftovers(&d);
    }

    /// `--path one-pass` with fg silent and bg with sound: bg's audio would follow fg's timing,
    /// which the one pass knows only at its end. Refused before any work as the input the one
    /// pass cannot take (exit 2, nothing written), where it ended in an internal error.
    #[test]
    fn one_pass_refuses_to_move_bg_audio_clearly() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("one-pass-bg-audio");
        let fg = d.join("fg.mp4");
        if derive(&src, &fg, "1", "2", "crop=640:360:320:180", &["-an"]).is_none() {
            return;
        }
        let out = d.join("out.mp4");
        let r = bin()
            .args(["comp", "-q", "--path", "one-pass", "--bg", &s(&src), "--fg", &s(&fg), "-o", &s(&out)])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
        assert!(stderr(&r).contains("--audio none"), "{}", stderr(&r));
        assert!(!stderr(&r).contains("internal"), "{}", stderr(&r));
        assert!(!out.exists());
        no_leftovers(&d);
    }

    /// The film's crop at (320, 180), 640x360, 6 s from 1 s, enlarged to 854x480 and re-graded:
    /// its unlit right side is a bar on the analyzer's samples, and the scale measured on one
    /// full-size frame saw another content box, so the copies' scale stood: 643x362 (0.5 %
    /// over, three pixels at the far edge) until the full-size width was climbed on the
    /// analyzer's box.
    #[test]
    fn a_scaled_crop_with_a_dark_side_gets_its_exact_size() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("scaled-dark-side");
        let fg = d.join("fg.mp4");
        let filters = "crop=640:360:320:180,scale=854:480,eq=brightness=0.06:contrast=1.15:gamma=0.9";
        if derive(&src, &fg, "1", "6", filters, &[]).is_none() {
            return;
        }
        // Both paths: two passes, and the default (the scout, then one pass).
        let two_pass = comp_with_report(&src, &fg, &d.join("two.mp4"));
        let report = d.join("one.json");
        let r = bin()
            .args(["comp", "-q", "--preset", "ultrafast", "--bg", &s(&src), "--fg", &s(&fg)])
            .args(["-o", &s(&d.join("one.mp4")), "--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let text = std::fs::read_to_string(&report).unwrap();
        // The scout places fg at its scale on its copies, so the default needs no two passes.
        assert!(text.contains("\"path\": \"scout+one-pass\""), "{text}");
        let default = Alignment::from_json(&text).unwrap();
        for a in [two_pass, default] {
            let p = a.placement;
            assert_eq!((p.x, p.y, p.width, p.height), (320, 180, 640, 360), "{p:?}");
            assert_eq!(a.time.map.first(), Some(&24), "bg frame under fg's first");
        }
    }

    /// Crops of the real clips resized and re-graded: the film's at (320, 180) and (160, 90)
    /// shrunk to 320x180 (bg shows them 2, 1.5 and 3 times as large), the interview's 600x400
    /// at (800, 500) enlarged to 800x534 (0.75). Before templates were enlarged bilinearly and
    /// boxes fitted (`spatial::fit`), the default path placed them 636x358, 962x541 and 599x400
    /// with exit 0: an area filter enlarging twice or three times makes a template of blocks,
    /// which scores the true box below its neighbours, and the width climbed a pixel at a time
    /// stopped wherever the flat score peaked.
    #[test]
    fn a_resized_fg_gets_its_exact_size() {
        let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
        else {
            return;
        };
        let d = dir("resized");
        let cases = [
            (&film, (640, 360, 320, 180), "320:180", "2"),
            (&film, (480, 270, 320, 180), "320:180", "1.5"),
            (&film, (960, 540, 160, 90), "320:180", "3"),
            (&interview, (600, 400, 800, 500), "800:534", "0.75"),
        ];
        for (src, (w, h, x, y), size, times) in cases {
            let fg = d.join(format!("fg-{times}.mp4"));
            let filters = format!("crop={w}:{h}:{x}:{y},scale={size},eq=contrast=1.1:brightness=0.03");
            if derive(src, &fg, "1", "3", &filters, &[]).is_none() {
                return;
            }
            let two_pass = comp_with_report(src, &fg, &d.join(format!("two-{times}.mp4")));
            let report = d.join(format!("default-{times}.json"));
            let r = bin()
                .args(["comp", "-q", "--preset", "ultrafast", "--bg", &s(src), "--fg", &s(&fg)])
                .args(["-o", &s(&d.join(format!("default-{times}.mp4"))), "--report", &s(&report)])
                .output()
                .unwrap();
            assert!(r.status.success(), "{}", stderr(&r));
            let default = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
            for a in [two_pass, default] {
                let p = a.placement;
                assert_eq!((p.x, p.y, p.width, p.height), (x, y, w, h), "resized {times}: {p:?}");
                assert!(!a.placement_approximate, "resized {times}: {p:?}");
                assert_eq!(a.time.map.first(), Some(&24), "bg frame under fg's first");
            }
        }
        no_leftovers(&d);
    }

    #[test]
    fn scaled_fg_is_found_by_default_and_options_are_honoured() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("scaled");
        let fg = d.join("fg.mp4");
        // 640×360 at (200, 120), shrunk to 480×270: bg shows it 4/3 as large.
        if derive(&src, &fg, "0", "2", "crop=640:360:200:120,scale=480:270", &[]).is_none() {
            return;
        }
        // The scale is searched by default: exact position, scale within 0.5 %.
        let r = bin().args(["align", "--json", &s(&fg), &s(&src)]).output().unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let text = String::from_utf8_lossy(&r.stdout).to_string();
        let field = |text: &str, k: &str| -> f64 {
            let at = text.find(&format!("\"{k}\": ")).unwrap() + k.len() + 4;
            text[at..].split([',', '}']).next().unwrap().trim().parse().unwrap()
        };
        assert_eq!((field(&text, "x"), field(&text, "y")), (200.0, 120.0), "{text}");
        assert!((field(&text, "scale") / (4.0 / 3.0) - 1.0).abs() < 0.005, "{text}");
        // --scale 1 pins scale 1.
        let r = bin().args(["align", "--scale", "1", "--json", &s(&fg), &s(&src)]).output().unwrap();
        let pinned = String::from_utf8_lossy(&r.stdout).to_string();
        assert!(!r.status.success() || field(&pinned, "scale") == 1.0, "{pinned}");

        // --codec, --audio none and a .y4m output.
        let mkv = d.join("o.mkv");
        let r = bin()
            .args([
                "comp",
                "-q",
                "--codec",
                "mpeg4",
                "--bitrate",
                "2M",
                "--audio",
                "none",
                "--placement",
                "200,120,1.3333",
            ])
            .args(["--bg", &s(&src), "--fg", &s(&fg), "-o", &s(&mkv)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(probe(&mkv, "v", "codec_name,nb_read_frames"), "mpeg4,48");
        assert_eq!(probe(&mkv, "a", "codec_name"), "");
        let y4m = d.join("o.y4m");
        let r = bin()
            .args(["comp", "-q", "--placement", "200,120,1.3333", "--bg", &s(&src), "--fg", &s(&fg), "-o", &s(&y4m)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let mut reader = vidkompy::io::y4m::Y4mReader::new(std::fs::File::open(&y4m).unwrap()).unwrap();
        assert_eq!((reader.header().width, reader.header().height), (1280, 720));
        let mut n = 0;
        while reader.read_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 48);
        // An option the encoder does not take is an error, not silently ignored.
        let r = bin()
            .args(["comp", "-q", "--codec", "mpeg4", "--preset", "slow", "--placement", "200,120,1.3333"])
            .args(["--bg", &s(&src), "--fg", &s(&fg), "-o", &s(&d.join("p.mp4"))])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
        assert!(stderr(&r).contains("preset"), "{}", stderr(&r));
        assert!(!d.join("p.mp4").exists());
        no_leftovers(&d);
    }

    #[test]
    fn audio_the_container_cannot_hold_is_re_encoded_to_aac() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("pcm");
        // .mp4 cannot hold PCM (its table says so), nor FLAC (in its table, but FFmpeg 5.1's
        // muxer refuses it at the header as experimental: the job failed there).
        for (codec, name) in [("pcm_s16le", "fg.mov"), ("flac", "fg.mkv")] {
            let fg = d.join(name);
            if derive(&src, &fg, "1", "2", "crop=320:240:160:120", &["-c:a", codec]).is_none() {
                return;
            }
            assert_eq!(probe(&fg, "a", "codec_name"), codec);
            let out = d.join(format!("out-{codec}.mp4"));
            let r = bin()
                .args(["comp", "--preset", "ultrafast", "--placement", "160,120", "--bg", &s(&src), "--fg", &s(&fg)])
                .args(["-o", &s(&out)])
                .output()
                .unwrap();
            assert!(r.status.success(), "{codec}: {}", stderr(&r));
            assert!(stderr(&r).contains("re-encoded to AAC"), "{codec}: {}", stderr(&r));
            let audio = probe(&out, "a", "codec_name,duration");
            let (got, duration) = audio.split_once(',').expect("an audio stream");
            assert_eq!(got, "aac", "{codec}");
            let duration: f64 = duration.parse().unwrap();
            assert!((duration - 2.0).abs() < 0.1, "{codec}: audio lasts {duration} s");
            assert_eq!(probe(&out, "v", "nb_read_frames"), "48");
        }
        no_leftovers(&d);
    }

    #[test]
    fn an_interrupted_comp_leaves_no_file_behind() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("interrupt");
        let fg = d.join("fg.mp4");
        if derive(&src, &fg, "0", "4", "crop=640:360:320:200", &[]).is_none() {
            return;
        }
        let out = d.join("out.mp4");
        let mut child = bin()
            .args(["comp", "-q", "--preset", "veryslow", "--placement", "320,200", "--bg", &s(&src), "--fg", &s(&fg)])
            .args(["-o", &s(&out)])
            .spawn()
            .unwrap();
        // The temporary file has a unique name, ".out.mp4.<pid>.<random>.partial".
        let partial = || -> Option<PathBuf> {
            std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()).find(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                name.starts_with(".out.mp4.") && p.metadata().is_ok_and(|m| m.len() > 0)
            })
        };
        let started = std::time::Instant::now();
        while partial().is_none() && started.elapsed().as_secs() < 120 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(partial().is_some(), "the composite never started writing");
        // SAFETY: sends a signal to our own child process.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
        let status = child.wait().unwrap();
        // Ended by the signal itself, as without a handler (a shell shows 130).
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
        let names: Vec<String> =
            std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        assert_eq!(names, ["fg.mp4"], "no output and no temporary file remain");
    }

    #[test]
    fn an_odd_sized_bg_into_mp4_says_why() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("odd");
        // Y4M inputs: H.264 could not hold the odd size either.
        let (bg, fg) = (d.join("bg.y4m"), d.join("fg.y4m"));
        let (src, bg_s, fg_s) = (s(&src), s(&bg), s(&fg));
        if ffmpeg(&["-i", &src, "-t", "1", "-vf", "crop=641:361:0:0:exact=1", "-pix_fmt", "yuv420p", &bg_s]).is_none()
            || ffmpeg(&["-i", &src, "-t", "1", "-vf", "crop=320:180:100:60", "-pix_fmt", "yuv420p", &fg_s]).is_none()
        {
            return;
        }
        let out = d.join("out.mp4");
        let r = bin()
            .args(["comp", "-q", "--placement", "100,60", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out)])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
        assert!(stderr(&r).contains("odd size 641x361"), "{}", stderr(&r));
        let names: Vec<String> =
            std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        assert_eq!(names.len(), 2, "only the inputs remain: {names:?}");
    }

    #[test]
    fn align_takes_pictures() {
        let (Some(fg), Some(bg)) = (common::media("still-fg-1920x684.jpg"), common::media("still-bg-1920x1080.jpg"))
        else {
            return;
        };
        let r = bin().args(["align", "--json", &s(&fg), &s(&bg)]).output().unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let text = String::from_utf8_lossy(&r.stdout);
        // The content rectangle may drop a dark edge column; the position is exact.
        assert!(text.contains("\"x\": 0, \"y\": 109,"), "{text}");
    }

    #[test]
    fn every_error_names_the_file_has_its_exit_code_and_leaves_nothing() {
        let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
        else {
            return;
        };
        let d = dir("errors");
        let fg = d.join("fg.mp4");
        let audio_only = d.join("tone.m4a");
        if derive(&film, &fg, "0", "1", "crop=320:180:100:100", &[]).is_none()
            || ffmpeg(&["-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", &s(&audio_only)]).is_none()
        {
            return;
        }
        let mut bytes = std::fs::read(&fg).unwrap();
        let n = bytes.len();
        for (k, b) in bytes[n / 3..n / 3 + n / 4].iter_mut().enumerate() {
            *b = (k * 7919 % 251) as u8;
        }
        let corrupt = d.join("corrupt.mp4");
        std::fs::write(&corrupt, &bytes).unwrap();
        let out = d.join("out.mp4");
        let comp = |bg: &Path, fg: &Path, extra: &[&str]| {
            bin().args(["comp", "-q", "--bg", &s(bg), "--fg", &s(fg), "-o", &s(&out)]).args(extra).output().unwrap()
        };
        let cases: Vec<(&str, Output, i32, String)> = vec![
            ("missing input", comp(&d.join("nope.mp4"), &fg, &[]), 2, "nope.mp4".into()),
            ("no video stream", comp(&film, &audio_only, &[]), 2, "tone.m4a: no video stream".into()),
            ("corrupt stream", comp(&film, &corrupt, &["--placement", "100,100"]), 2, "corrupt.mp4".into()),
            ("no match", comp(&interview, &fg, &["--min-confidence", "0.9"]), 1, "not found in".into()),
            (
                "unwritable directory",
                bin()
                    .args(["comp", "-q", "--bg", &s(&film), "--fg", &s(&fg), "-o", "/proc/vidkompy/out.mp4"])
                    .output()
                    .unwrap(),
                2,
                "/proc/vidkompy/out.mp4".into(),
            ),
            ("unknown extension", comp(&film, &fg, &["-o", &s(&d.join("out.qqq"))]), 2, "out.qqq".into()),
        ];
        for (what, r, code, needle) in &cases {
            let e = stderr(r);
            assert_eq!(r.status.code(), Some(*code), "{what}: {e}");
            assert!(e.contains(needle.as_str()), "{what}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{what}: one line: {e}");
        }
        assert!(!out.exists());
        // An existing output is kept without -y.
        std::fs::write(&out, b"keep me").unwrap();
        let r = comp(&film, &fg, &["--placement", "100,100"]);
        assert_eq!(r.status.code(), Some(2));
        assert!(stderr(&r).contains("exists"), "{}", stderr(&r));
        assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
        no_leftovers(&d);
    }

    /// From FFmpeg inputs: a Y4M output carries fg's rate (not the time base), the default
    /// path's report carries the media record, `-q` and `align` print nothing (FFmpeg's and
    /// x265's own lines included), and a codec the container cannot hold is named as such.
    #[test]
    fn ffmpeg_inputs_y4m_rate_media_record_and_quiet_encoders() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("quiet");
        let (bg, fg) = (d.join("bg.mp4"), d.join("fg.mkv"));
        let bg_args =
            ["-i", &s(&src), "-t", "4", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", &s(&bg)];
        if ffmpeg(&bg_args).is_none()
            || derive(&src, &fg, "1", "2", "crop=640:360:320:200,eq=contrast=1.1", &["-an"]).is_none()
        {
            return;
        }
        let (y4m, report) = (d.join("out.y4m"), d.join("out.json"));
        let r = bin()
            .args(["comp", "-q", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&y4m), "--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(stderr(&r), "", "-q prints nothing");
        let header = std::fs::read(&y4m).unwrap();
        let header = String::from_utf8_lossy(&header[..header.iter().position(|&b| b == b'\n').unwrap()]).to_string();
        assert!(header.contains(" F24:1 "), "Y4M header {header}");
        let text = std::fs::read_to_string(&report).unwrap();
        assert!(text.contains("one-pass\""), "{text}");
        let a = Alignment::from_json(&text).unwrap();
        let media = a.media.expect("the one pass's report carries the media record");
        assert_eq!((media.fg.width, media.fg.height, media.fg.frames), (640, 360, 48));
        assert!((media.bg.frame_rate - 24.0).abs() < 0.01, "{media:?}");

        let x265 = d.join("x265.mp4");
        let r = bin()
            .args(["comp", "-q", "--codec", "libx265", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&x265)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(stderr(&r), "", "-q with libx265 prints nothing");
        let r = bin().args(["align", &s(&fg), &s(&bg)]).output().unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(stderr(&r), "", "align prints only its result");
        let r = bin()
            .args(["comp", "-q", "--codec", "ffv1", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&d.join("x.mp4"))])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2));
        assert!(stderr(&r).contains("cannot hold ffv1"), "{}", stderr(&r));
        no_leftovers(&d);
    }

    /// A bg cut short at any byte offset (its index at the front, so it still opens) is
    /// refused the same way, naming the file and where, never composited with exit 0.
    #[test]
    fn a_bg_cut_short_anywhere_is_refused_the_same_way() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("cut-short");
        let (bg, fg) = (d.join("bg.mp4"), d.join("fg.mkv"));
        let bg_args =
            ["-i", &s(&src), "-t", "6", "-an", "-c:v", "mpeg4", "-q:v", "3", "-movflags", "+faststart", &s(&bg)];
        if ffmpeg(&bg_args).is_none() || derive(&src, &fg, "1", "2", "crop=640:360:320:200", &["-an"]).is_none() {
            return;
        }
        let bytes = std::fs::read(&bg).unwrap();
        let out = d.join("out.mkv");
        // fg spans 1 to 3 s of the 6 s bg: each cut falls before or inside it (a cut after
        // fg's span leaves the one pass every frame it needs).
        for share in [10, 25, 40] {
            let cut = d.join(format!("cut{share}.mp4"));
            std::fs::write(&cut, &bytes[..bytes.len() * share / 100]).unwrap();
            for path in ["auto", "two-pass"] {
                let r = bin()
                    .args(["comp", "-q", "--path", path, "--bg", &s(&cut), "--fg", &s(&fg), "-o", &s(&out)])
                    .output()
                    .unwrap();
                let err = stderr(&r);
                assert_eq!(r.status.code(), Some(2), "cut at {share} %, --path {path}: {err}");
                assert!(err.contains(&format!("cut{share}.mp4")) && err.contains("cut short or corrupt near"), "{err}");
                assert!(!out.exists());
            }
        }
        no_leftovers(&d);
    }

    /// Stored turned with a display matrix (as phones record): read upright, as players show
    /// them. A turned fg is found where its upright picture is; a turned bg gives an output
    /// stored upright (it shows as bg shows, with no matrix left to apply).
    #[test]
    fn streams_stored_turned_are_read_upright() {
        let Some(src) = common::media("film-720p24.mp4") else { return };
        let d = dir("turned");
        // Pixels turned a quarter clockwise, and a matrix telling players to turn them back.
        let turned = |input: &Path, out: &Path, extra: &[&str]| -> Option<()> {
            let raw = out.with_extension("raw.mp4");
            let mut args = vec!["-i".to_string(), s(input)];
            args.extend(extra.iter().map(|a| a.to_string()));
            args.extend(
                ["-an", "-vf", "transpose=clock", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16"]
                    .map(String::from),
            );
            args.push(s(&raw));
            ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>())?;
            ffmpeg(&["-i", &s(&raw), "-c", "copy", "-metadata:s:v:0", "rotate=90", &s(out)])
        };
        let (fg_upright, fg_turned) = (d.join("fg.mkv"), d.join("fg_turned.mp4"));
        if derive(&src, &fg_upright, "1", "2", "crop=640:360:320:200", &["-an"]).is_none()
            || turned(&fg_upright, &fg_turned, &[]).is_none()
        {
            return;
        }
        let bg = d.join("bg.mp4");
        if ffmpeg(&["-i", &s(&src), "-t", "4", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", &s(&bg)])
            .is_none()
        {
            return;
        }
        let a = comp_with_report(&bg, &fg_turned, &d.join("out.mkv"));
        assert_eq!((a.placement.x, a.placement.y, a.placement.width, a.placement.height), (320, 200, 640, 360));
        assert_eq!(a.time.map[0], 24, "fg starts 1 s in: {:?}", &a.time.map[..5]);
        let bg_turned = d.join("bg_turned.mp4");
        if turned(&bg, &bg_turned, &[]).is_none() {
            return;
        }
        let out = d.join("out2.mkv");
        let a = comp_with_report(&bg_turned, &fg_upright, &out);
        assert_eq!((a.placement.x, a.placement.y), (320, 200));
        assert_eq!(probe(&out, "v", "width,height"), "1280,720", "stored upright");
        no_leftovers(&d);
    }
    /// An fg with alpha (PNG in QuickTime, RGBA): its transparent left half shows bg's pixels
    /// exactly, its opaque right half the brightened fg.
    #[test]
    fn an_fg_with_alpha_shows_bg_where_it_is_transparent() {
        let Some(film) = common::media("film-720p24.mp4") else { return };
        let d = dir("alpha");
        let (bg, fg, out) = (d.join("bg.mp4"), d.join("fg.mov"), d.join("out.y4m"));
        let scale = ["-t", "4", "-vf", "scale=640:360,setsar=1", "-an", "-c:v", "libx264", "-crf", "16"];
        let Some(()) = ffmpeg(&[&["-i", &s(&film)][..], &scale, &[&s(&bg)]].concat()) else { return };
        let alpha = "crop=320:180:20:100,eq=brightness=0.08,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,160),0,255)'";
        ffmpeg(&["-ss", "1", "-i", &s(&bg), "-t", "2", "-vf", alpha, "-an", "-c:v", "png", &s(&fg)]).unwrap();
        let report = d.join("report.json");
        let r = bin()
            .args(["comp", "-q", "--path", "two-pass", "--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out)])
            .args(["--report", &s(&report)])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let (x0, y0) = (a.placement.x as usize, a.placement.y as usize);
        assert_eq!((x0, y0), (20, 100), "placement");
        let raw = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i", &s(&bg), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
            .output()
            .unwrap();
        let n = 640 * 360 * 3 / 2;
        let bg_frames: Vec<&[u8]> = raw.stdout.chunks(n).collect();
        let data = std::fs::read(&out).unwrap();
        let body = &data[data.iter().position(|&b| b == b'\n').unwrap() + 1..];
        let frames: Vec<&[u8]> = body.chunks(6 + n).map(|f| &f[6..]).collect();
        assert_eq!(frames.len(), a.fg_frames);
        for (i, frame) in frames.iter().enumerate() {
            let under = bg_frames[a.bg_index(i).unwrap() as usize];
            let (mut differ, mut brighter) = (0, 0i64);
            for y in y0..y0 + 180 {
                for x in x0..x0 + 160 {
                    differ += usize::from(frame[y * 640 + x] != under[y * 640 + x]);
                }
                for x in x0 + 170..x0 + 320 {
                    brighter += frame[y * 640 + x] as i64 - under[y * 640 + x] as i64;
                }
            }
            assert_eq!(differ, 0, "frame {i}: transparent pixels that are not bg's");
            assert!(brighter > 150 * 180 * 8, "frame {i}: the opaque half is not fg's ({brighter})");
        }
    }
}
