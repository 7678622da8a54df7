//! The MLT transition (`plugins/mlt`) as MLT runs it: built with its own Makefile against the
//! cdylib, loaded from a module folder beside MLT's own, and run on timelines built as melt
//! builds them (bg on track 0, fg on track 1). Its output, read from the tractor before any
//! consumer (`render_y4m`), is compared frame by frame with `vidkompy comp --path two-pass`
//! (the analyzer, as the transition uses it) on pairs made from ../shared/media; a second run
//! loads the saved alignment (from its file, and from the properties an NLE saves in its
//! project) instead of analysing; changed media are analysed again; a pair
//! that does not match composites nothing and says why; and melt itself runs the transition.

mod common;

#[cfg(not(feature = "ffmpeg"))]
#[test]
fn needs_the_ffmpeg_feature() {
    eprintln!("NOT RUN: these tests need `cargo test --features ffmpeg` (CI runs them with --all-features)");
}

#[cfg(feature = "ffmpeg")]
mod with_mlt {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use super::common;
    use super::common::plugin_pairs::{args, build_plugin, ffmpeg, have, pair, s, y4m_frames};

    const FG_FRAMES: usize = 72;

    /// MLT's development files and melt, FFmpeg and make; the transition and the render host
    /// built into `dir`, and a module folder holding MLT's modules and the transition. `None`
    /// (having said why) when something is missing.
    fn plugin(dir: &Path) -> Option<PathBuf> {
        let apt = "MLT is not installed (apt install libmlt-dev melt)";
        if !have("pkg-config", &["--exists", "mlt-framework-7"], apt) || !have("melt", &["-version"], apt) {
            return None;
        }
        if !have("ffmpeg", &["-version"], "cannot run ffmpeg") || !have("make", &["--version"], "cannot run make") {
            return None;
        }
        build_plugin(dir, "mlt");
        let modules = Command::new("pkg-config").args(["--variable=moduledir", "mlt-framework-7"]).output().unwrap();
        let modules = PathBuf::from(String::from_utf8_lossy(&modules.stdout).trim());
        let repository = dir.join("modules");
        std::fs::create_dir_all(&repository).unwrap();
        for entry in std::fs::read_dir(&modules).unwrap() {
            let path = entry.unwrap().path();
            std::os::unix::fs::symlink(&path, repository.join(path.file_name().unwrap())).unwrap();
        }
        std::os::unix::fs::symlink(dir.join("libmltvidkompy.so"), repository.join("libmltvidkompy.so")).unwrap();
        Some(repository)
    }

    /// The timeline rendered by `render_y4m` into `out`, with the transition's `properties`.
    fn render(dir: &Path, bg: &Path, fg: &Path, out: &Path, properties: &[String]) -> String {
        render_frames(dir, (bg, &s(fg)), out, FG_FRAMES, properties)
    }

    /// As `render`, `frames` long, with the b-track `clips` ("fg.mp4" or "fg.mp4,other.mp4").
    fn render_frames(
        dir: &Path,
        (bg, clips): (&Path, &str),
        out: &Path,
        frames: usize,
        properties: &[String],
    ) -> String {
        let r = Command::new(dir.join("render_y4m"))
            .env("MLT_REPOSITORY", dir.join("modules"))
            .args([s(bg), clips.to_string(), s(out), frames.to_string()])
            .args(properties)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&r.stderr).to_string();
        assert!(r.status.success(), "render_y4m failed:\n{log}");
        log
    }

    fn comp_two_pass(bg: &Path, fg: &Path, out: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vidkompy"))
            .args([
                "comp",
                "-q",
                "--path",
                "two-pass",
                "--audio",
                "none",
                "--bg",
                &s(bg),
                "--fg",
                &s(fg),
                "-o",
                &s(out),
            ])
            .output()
            .unwrap()
    }

    fn differing(a: &[Vec<u8>], b: &[Vec<u8>]) -> Vec<usize> {
        (0..a.len().min(b.len())).filter(|&k| a[k] != b[k]).collect()
    }

    /// bg's frames as the ffmpeg command decodes them (4:2:0, 8-bit).
    fn raw_frames(path: &Path, frame_bytes: usize) -> Vec<Vec<u8>> {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i", &s(path), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout.chunks(frame_bytes).map(<[u8]>::to_vec).collect()
    }

    /// The transition's output equals comp's frame by frame; the alignment it saved is loaded
    /// by a second run (no analysis, the same frames); media touched since are analysed again.
    fn same_as_comp(name: &str, clip: &str, size: &str, start: &str, crop: &str) {
        let Some(clip) = common::media(clip) else { return };
        let d = common::TempDir::new("mlt", name);
        let Some(_) = plugin(&d) else { return };
        let (bg, fg) = pair(&d, &clip, size, "6", start, crop);
        let saved = d.join("fg.alignment.json");
        let property = vec![format!("alignment={}", s(&saved))];
        let log = render(&d, &bg, &fg, &d.join("first.y4m"), &property);
        assert!(log.contains("aligned: fg at"), "{name}: no analysis in the log:\n{log}");
        assert!(log.contains("transition progress 100"), "{name}: the progress property:\n{log}");
        assert!(saved.exists() && d.join("fg.alignment.json.media").exists(), "{name}: alignment not saved");
        let r = comp_two_pass(&bg, &fg, &d.join("comp.y4m"));
        assert!(r.status.success(), "{name}: comp failed: {}", String::from_utf8_lossy(&r.stderr));
        let (ours, comp) = (y4m_frames(&d.join("first.y4m")), y4m_frames(&d.join("comp.y4m")));
        assert_eq!((ours.len(), comp.len()), (FG_FRAMES, FG_FRAMES), "{name}: frame counts");
        assert_eq!(differing(&ours, &comp), Vec::<usize>::new(), "{name}: frames differ from comp's");

        let log = render(&d, &bg, &fg, &d.join("second.y4m"), &property);
        assert!(
            log.contains("alignment loaded from") && !log.contains("aligned: fg at"),
            "{name}: analysed again:\n{log}"
        );
        assert!(y4m_frames(&d.join("second.y4m")) == ours, "{name}: the loaded alignment composites otherwise");

        // As an NLE reopens a project: the alignment and its record in the properties it saved.
        let project = [
            format!("alignment_json={}", std::fs::read_to_string(&saved).unwrap()),
            format!("alignment_media={}", std::fs::read_to_string(d.join("fg.alignment.json.media")).unwrap()),
        ];
        let log = render(&d, &bg, &fg, &d.join("reopened.y4m"), &project);
        assert!(log.contains("alignment loaded from the project") && !log.contains("aligned: fg at"), "{name}:\n{log}");
        assert!(y4m_frames(&d.join("reopened.y4m")) == ours, "{name}: the project's alignment composites otherwise");

        // The same bytes with another modification time: the record no longer matches.
        let bytes = std::fs::read(&fg).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&fg, bytes).unwrap();
        let log = render(&d, &bg, &fg, &d.join("third.y4m"), &property);
        assert!(
            log.contains("the media changed") && log.contains("aligned: fg at"),
            "{name}: not analysed again:\n{log}"
        );
        assert!(y4m_frames(&d.join("third.y4m")) == ours, "{name}: the new analysis composites otherwise");
    }

    #[test]
    fn the_interview_through_the_transition_equals_comp() {
        same_as_comp("interview", "interview-1080p24.mp4", "1280:720", "2", "480:270:600:120");
    }

    #[test]
    fn the_film_through_the_transition_equals_comp() {
        same_as_comp("film", "film-720p24.mp4", "640:360", "1.5", "320:180:20:100");
    }

    /// The properties `placement` and `feather` reach the library as comp's options do.
    #[test]
    fn a_given_placement_and_feather_are_used() {
        let Some(film) = common::media("film-720p24.mp4") else { return };
        let d = common::TempDir::new("mlt", "given");
        let Some(_) = plugin(&d) else { return };
        let (bg, fg) = pair(&d, &film, "640:360", "6", "1.5", "320:180:20:100");
        let properties = ["placement=20,100".to_string(), "feather=6".to_string()];
        let log = render(&d, &bg, &fg, &d.join("out.y4m"), &properties);
        assert!(log.contains("aligned: fg at 20,100"), "{log}");
        let r = Command::new(env!("CARGO_BIN_EXE_vidkompy"))
            .args(["comp", "-q", "--path", "two-pass", "--audio", "none", "--placement", "20,100", "--feather", "6"])
            .args(["--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&d.join("comp.y4m"))])
            .output()
            .unwrap();
        assert!(r.status.success(), "comp failed: {}", String::from_utf8_lossy(&r.stderr));
        let (ours, comp) = (y4m_frames(&d.join("out.y4m")), y4m_frames(&d.join("comp.y4m")));
        assert_eq!(ours.len(), FG_FRAMES);
        assert_eq!(differing(&ours, &comp), Vec::<usize>::new(), "frames differ from comp's");
        let plain = render(&d, &bg, &fg, &d.join("plain.y4m"), &properties[..1]);
        assert!(plain.contains("aligned: fg at 20,100"));
        assert!(y4m_frames(&d.join("plain.y4m")) != ours, "feather=6 changed nothing");
    }

    /// fg running past bg's end (by a second): the fg frames the map has are composited as comp composites
    /// them, the others show the a-track's frame unchanged, and the log says so once.
    #[test]
    fn fg_outside_the_map_composites_nothing() {
        let Some(film) = common::media("film-720p24.mp4") else { return };
        let d = common::TempDir::new("mlt", "outside");
        let Some(_) = plugin(&d) else { return };
        // fg from 3 s of 9 s of the film, bg its first 5 s: fg's last second is not in bg.
        let (long_bg, fg) = pair(&d, &film, "640:360", "9", "3", "320:180:20:100");
        let bg = d.join("bg5.mp4");
        let mut a = args("-i");
        a.push(s(&long_bg));
        a.extend(args("-t 5 -an -c:v libx264 -preset veryfast -crf 18"));
        a.push(s(&bg));
        ffmpeg(&a);
        let log = render(&d, &bg, &fg, &d.join("out.y4m"), &[]);
        assert_eq!(log.matches("outside the alignment's map").count(), 1, "said once:\n{log}");
        let r = comp_two_pass(&bg, &fg, &d.join("comp.y4m"));
        assert!(r.status.success(), "comp failed: {}", String::from_utf8_lossy(&r.stderr));
        let (ours, comp) = (y4m_frames(&d.join("out.y4m")), y4m_frames(&d.join("comp.y4m")));
        let bg_frames = raw_frames(&bg, 640 * 360 * 3 / 2);
        let first_outside = log
            .split("first at fg frame ")
            .nth(1)
            .and_then(|t| t.split(')').next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect("the first fg frame outside, in the log");
        assert!(
            (40..56).contains(&first_outside),
            "fg from 3 s of 5 s: outside from about frame 48, not {first_outside}"
        );
        assert_eq!(differing(&ours[..first_outside], &comp[..first_outside]), Vec::<usize>::new(), "inside the map");
        let passed: Vec<usize> = (first_outside..FG_FRAMES).filter(|&k| ours[k] != bg_frames[k]).collect();
        assert!(passed.is_empty(), "outside the map, frames {passed:?} are not the a-track's");
    }

    /// A b-track that plays another clip after fg: fg's frames are composited as comp's, the
    /// other clip's are not composited with fg's map (the a-track's frames pass), said once.
    #[test]
    fn a_later_clip_on_the_b_track_is_not_composited_with_fgs_map() {
        let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
        else {
            return;
        };
        let d = common::TempDir::new("mlt", "later-clip");
        let Some(_) = plugin(&d) else { return };
        let (bg, fg) = pair(&d, &film, "640:360", "6", "1.5", "320:180:20:100");
        let other = d.join("other");
        std::fs::create_dir_all(&other).unwrap();
        let (_, other_fg) = pair(&other, &interview, "640:360", "5", "1", "320:180:20:100");
        let clips = format!("{},{}", s(&fg), s(&other_fg));
        let log = render_frames(&d, (&bg, &clips), &d.join("out.y4m"), 120, &[]);
        assert_eq!(log.matches("other media than the alignment's").count(), 1, "said once:\n{log}");
        let r = comp_two_pass(&bg, &fg, &d.join("comp.y4m"));
        assert!(r.status.success(), "comp failed: {}", String::from_utf8_lossy(&r.stderr));
        let (ours, comp) = (y4m_frames(&d.join("out.y4m")), y4m_frames(&d.join("comp.y4m")));
        assert_eq!(ours.len(), 120);
        assert_eq!(differing(&ours[..FG_FRAMES], &comp), Vec::<usize>::new(), "fg's frames");
        let bg_frames = raw_frames(&bg, 640 * 360 * 3 / 2);
        let passed: Vec<usize> = (FG_FRAMES..120).filter(|&k| ours[k] != bg_frames[k]).collect();
        assert!(passed.is_empty(), "the other clip's positions {passed:?} are not the a-track's frames");
    }

    /// A pair that does not match: no alignment is saved, every frame is the a-track's, and
    /// the log gives the library's reason.
    #[test]
    fn a_pair_that_does_not_match_composites_nothing() {
        let (Some(film), Some(interview)) = (common::media("film-720p24.mp4"), common::media("interview-1080p24.mp4"))
        else {
            return;
        };
        let d = common::TempDir::new("mlt", "refusal");
        let Some(_) = plugin(&d) else { return };
        let (bg, _) = pair(&d, &film, "640:360", "6", "1", "320:180:96:54");
        let other = d.join("other");
        std::fs::create_dir_all(&other).unwrap();
        let (_, fg) = pair(&other, &interview, "640:360", "5", "1", "320:180:96:54");
        let saved = d.join("alignment.json");
        let log = render(&d, &bg, &fg, &d.join("out.y4m"), &[format!("alignment={}", s(&saved))]);
        assert!(log.contains("no alignment, fg is not composited:") && log.contains("no match"), "{log}");
        assert!(!saved.exists(), "an alignment was saved for a pair that does not match");
        let bg_frames = raw_frames(&bg, 640 * 360 * 3 / 2);
        let ours = y4m_frames(&d.join("out.y4m"));
        assert_eq!(differing(&ours, &bg_frames[..FG_FRAMES]), Vec::<usize>::new(), "frames are not the a-track's");
    }

    /// melt runs the transition from its command line (README's line). Its avformat consumer
    /// rewrites the V plane of a 4:2:0 image it writes (MLT 7.12), so Y and U are compared.
    #[test]
    fn melt_runs_the_transition() {
        let Some(film) = common::media("film-720p24.mp4") else { return };
        let d = common::TempDir::new("mlt", "melt");
        let Some(repository) = plugin(&d) else { return };
        let (bg, fg) = pair(&d, &film, "640:360", "6", "1.5", "320:180:20:100");
        let out = d.join("melt.y4m");
        let r = Command::new("melt")
            .env("MLT_REPOSITORY", &repository)
            .arg(s(&bg))
            .arg(format!("out={}", FG_FRAMES - 1))
            .args(["-track", &s(&fg), "-transition", "vidkompy", "a_track=0", "b_track=1"])
            .arg(format!("alignment={}", s(&d.join("alignment.json"))))
            .args(["-consumer", &format!("avformat:{}", s(&out)), "pix_fmt=yuv420p", "mlt_image_format=yuv420p"])
            .output()
            .unwrap();
        assert!(r.status.success(), "melt failed:\n{}", String::from_utf8_lossy(&r.stderr));
        let r = comp_two_pass(&bg, &fg, &d.join("comp.y4m"));
        assert!(r.status.success(), "comp failed: {}", String::from_utf8_lossy(&r.stderr));
        let (ours, comp) = (y4m_frames(&out), y4m_frames(&d.join("comp.y4m")));
        assert_eq!(ours.len(), FG_FRAMES);
        let luma_and_u = 640 * 360 * 5 / 4;
        let differ: Vec<usize> = (0..FG_FRAMES).filter(|&k| ours[k][..luma_and_u] != comp[k][..luma_and_u]).collect();
        assert!(differ.is_empty(), "melt's frames {differ:?} differ from comp's in Y or U");
    }
}
