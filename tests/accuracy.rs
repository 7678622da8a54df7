//! Accuracy family by family on real footage, through the command line as a user runs it, and
//! the README's "Accuracy" table, which this test produces: it fails when the table in README
//! differs from what it measured (`VIDKOMPY_WRITE_ACCURACY=1 cargo test --features ffmpeg --test
//! accuracy` writes it).
//!
//! Every pair is made by the ffmpeg command from one bg built from ../shared/media: the film,
//! the interview and the film mirrored, each at 640x360 and played at 25 fps (no frame
//! repeated), stored losslessly. fg takes known frames of that bg (by number), so the truth is
//! exact; it is cropped, re-graded and then edited, degraded or re-timed as its family says.

mod common;

#[cfg(not(feature = "ffmpeg"))]
#[test]
fn needs_the_ffmpeg_feature() {
    eprintln!("NOT RUN: the accuracy table needs `cargo test --features ffmpeg` (CI runs it with --all-features)");
}

#[cfg(feature = "ffmpeg")]
mod with_ffmpeg {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::Mutex;

    use vidkompy::alignment::Alignment;

    use super::common;

    /// fg's crop of bg (x, y, width, height) and its grade, for every family.
    const CROP: &str = "crop=480:270:96:54";
    const GRADE: &str = "eq=brightness=0.05:contrast=1.12:saturation=1.2";
    /// The one pass's latency: 2 s of fg frames at 25 fps.
    const LIVE_LAG: &str = "50";
    /// bg's frames: the film (0..192), the interview (192..373), the film mirrored (373..565).
    const BG_FRAMES: usize = 565;

    /// What a family's fg must give.
    enum Expect {
        /// For every fg frame, the bg frame under it (`None`: footage bg lacks, to be reported
        /// outside); frames marked free may go either way.
        Match { truth: Vec<Option<usize>>, free: Vec<bool> },
        /// Exit `exit` (1: no match; 2: unsupported), nothing written.
        Refusal { exit: i32 },
    }

    struct Family {
        group: &'static str,
        name: &'static str,
        how: &'static str,
        /// ffmpeg arguments that write fg (its output path appended), with `{bg}` for bg's path.
        make_fg: Vec<String>,
        /// bg for this family: `None` for the common one (fg at (96, 54) in it).
        own_bg: Option<OwnBg>,
        expect: Expect,
    }

    /// A family's own bg: ffmpeg arguments that make it (`{bg}` is the common bg), and where
    /// fg's picture lies in it.
    struct OwnBg {
        make: Vec<String>,
        fg_at: (i32, i32),
    }

    impl OwnBg {
        fn clip(make: Vec<String>) -> Option<OwnBg> {
            Some(OwnBg { make, fg_at: (96, 54) })
        }
    }

    /// One family's result, as the table shows it.
    struct Measured {
        /// The same family through the C host example (examples/c/vidkompy_host.c), with its
        /// seeking frame provider and without one: the table's cell, and whether it passed.
        c_host: Option<[(String, bool); 2]>,
        /// The same family through the one pass (the live session), and on how many fg
        /// frames its map equals this one's (the two passes').
        one_pass: Option<Box<Measured>>,
        same_as_two_pass: usize,
        fg_frames: usize,
        exact: usize,
        off_by_one: usize,
        worse: usize,
        outside_right: usize,
        outside_truth: usize,
        free: usize,
        placement: String,
        placement_score: f64,
        placement_confidence: f64,
        time_confidence: f64,
        verdict: String,
        passed: bool,
    }

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    /// fg from bg frames `frames` (in order), at 25 fps, cropped and graded, then `extra`.
    fn from_frames(frames: &[usize], extra: &str, crf: u32) -> Vec<String> {
        let pick: Vec<String> = frames.iter().map(|n| format!("eq(n,{n})")).collect();
        let mut spans = Vec::new();
        let mut start = frames[0];
        for w in frames.windows(2) {
            if w[1] != w[0] + 1 {
                spans.push((start, w[0]));
                start = w[1];
            }
        }
        spans.push((start, *frames.last().unwrap()));
        let select = if spans.len() < 8 {
            spans.iter().map(|(a, b)| format!("between(n,{a},{b})")).collect::<Vec<_>>().join("+")
        } else {
            pick.join("+")
        };
        let mut filter = format!("select='{select}',setpts=N/(25*TB),{CROP},{GRADE}");
        if !extra.is_empty() {
            filter = format!("{filter},{extra}");
        }
        let mut a = vec!["-i".into(), "{bg}".into(), "-vf".into(), filter, "-r".into(), "25".into()];
        a.extend(args(&format!("-an -c:v libx264 -preset veryfast -crf {crf}")));
        a
    }

    fn span(a: usize, b: usize) -> Vec<usize> {
        (a..b).collect()
    }

    fn matching(frames: &[usize]) -> Expect {
        Expect::Match { truth: frames.iter().map(|&f| Some(f)).collect(), free: vec![false; frames.len()] }
    }

    /// fg through a filter graph with one more input (`-f lavfi` source) overlaid.
    fn with_overlay(frames: &[usize], source: &str, graph_after: &str) -> Vec<String> {
        let (a, b) = (frames[0], frames.last().unwrap());
        let graph = format!(
            "[0:v]select='between(n,{a},{b})',setpts=N/(25*TB),{CROP},{GRADE}[f];{graph_after}",
            graph_after = graph_after.replace("[F]", "[f]")
        );
        let mut v = args(&format!("-i {{bg}} -f lavfi -i {source} -filter_complex"));
        v.push(graph);
        v.extend(args("-r 25 -frames:v"));
        v.push(frames.len().to_string());
        v.extend(args("-an -c:v libx264 -preset veryfast -crf 16"));
        v
    }

    /// The source frame ffmpeg's fps filter shows at output frame `i` when re-timing `from` fps
    /// to `to` fps (up): the last input frame whose time, rounded to the output grid, is not
    /// after the slot.
    fn fps_filter_source(i: usize, from: f64, to: f64) -> usize {
        let mut k = 0;
        while ((k + 1) as f64 * to / from + 0.5).floor() as usize <= i {
            k += 1;
        }
        k
    }

    fn retimed(start: usize, count: usize, fps: &str, to: f64) -> Family {
        let truth: Vec<usize> = (0..count).map(|i| start + fps_filter_source(i, 25.0, to)).collect();
        let last = truth.last().unwrap() + 1;
        let filter = format!("trim=start_frame={start}:end_frame={last},setpts=PTS-STARTPTS,{CROP},{GRADE},fps={fps}");
        let mut a = vec!["-i".into(), "{bg}".into(), "-vf".into(), filter, "-frames:v".into(), count.to_string()];
        a.extend(args("-an -c:v libx264 -preset veryfast -crf 16"));
        Family { group: "", name: "", how: "", make_fg: a, own_bg: None, expect: matching(&truth) }
    }

    fn families() -> Vec<Family> {
        let plain = span(40, 140);
        let mut list = vec![
            Family {
                group: "reference",
                name: "crop and grade",
                how: "bg frames 40-139, 480x270 at (96, 54), graded",
                make_fg: from_frames(&plain, "", 16),
                own_bg: None,
                expect: matching(&plain),
            },
            Family {
                group: "graphics",
                name: "static logo box",
                how: "an opaque box over 15 % of the picture",
                make_fg: from_frames(&plain, "drawbox=x=300:y=20:w=160:h=122:color=white:t=fill", 16),
                own_bg: None,
                expect: matching(&plain),
            },
            Family {
                group: "graphics",
                name: "moving box",
                how: "a 60x60 box crossing the picture",
                make_fg: with_overlay(
                    &plain,
                    "color=c=red:s=60x60:r=25",
                    "[F][1:v]overlay=x='mod(t*160,420)':y='40+mod(t*50,150)'",
                ),
                own_bg: None,
                expect: matching(&plain),
            },
            Family {
                group: "graphics",
                name: "ticker strip",
                how: "a scrolling strip over the bottom eighth",
                make_fg: with_overlay(
                    &plain,
                    "testsrc2=s=1600x34:r=25",
                    "[1:v]drawbox=x=0:y=0:w=iw:h=4:color=navy:t=fill[t];[F][t]overlay=x='-mod(t*120,1120)':y=H-34",
                ),
                own_bg: None,
                expect: matching(&plain),
            },
            Family {
                group: "degraded",
                name: "blurred",
                how: "Gaussian blur, sigma 3",
                make_fg: from_frames(&plain, "gblur=sigma=3", 16),
                own_bg: None,
                expect: matching(&plain),
            },
            Family {
                group: "degraded",
                name: "noisy",
                how: "temporal noise, strength 25",
                make_fg: from_frames(&plain, "noise=alls=25:allf=t", 16),
                own_bg: None,
                expect: matching(&plain),
            },
            Family {
                group: "degraded",
                name: "crf 38",
                how: "H.264 at crf 38",
                make_fg: from_frames(&plain, "", 38),
                own_bg: None,
                expect: matching(&plain),
            },
        ];
        let jump: Vec<usize> = [span(20, 70), span(95, 165)].concat();
        list.push(Family {
            group: "edited",
            name: "jump cut",
            how: "bg 20-69, then 95-164 (a 1 s gap)",
            make_fg: from_frames(&jump, "", 16),
            own_bg: None,
            expect: matching(&jump),
        });
        let cuts: Vec<usize> = [span(10, 50), span(70, 110), span(140, 170), span(230, 270), span(300, 330)].concat();
        list.push(Family {
            group: "edited",
            name: "several cuts",
            how: "five shots: bg 10-49, 70-109, 140-169, 230-269, 300-329",
            make_fg: from_frames(&cuts, "", 16),
            own_bg: None,
            expect: matching(&cuts),
        });
        // A later shot, then an earlier one: the map goes back in bg, and pass 2 seeks bg back.
        use Piece::{Freeze, HalfSpeed, Shot};
        list.push(edited(
            "shots in another order",
            "bg 150-199, then bg 40-89 (an edit that goes back)",
            &[Shot(150, 199), Shot(40, 89)],
        ));
        list.push(edited(
            "three shots, one repeated",
            "bg 150-189, 40-79, then 150-179 again",
            &[Shot(150, 189), Shot(40, 79), Shot(150, 179)],
        ));
        list.push(edited(
            "speed ramp",
            "bg 40-99, 100-129 at half speed (each frame twice), 130-189",
            &[Shot(40, 99), HalfSpeed(100, 129), Shot(130, 189)],
        ));
        list.push(edited(
            "freeze frame",
            "bg 40-89, frame 89 held for 1 s, then 90-139",
            &[Shot(40, 89), Freeze(89, 25), Shot(90, 139)],
        ));
        list.push(inserted());
        list.push(fades());
        let mut rate = |group, name, how, mut f: Family| {
            f.group = group;
            f.name = name;
            f.how = how;
            list.push(f);
        };
        rate("frame rate", "2:1", "50 fps fg on 25 fps bg (bg 40-139)", retimed(40, 200, "50", 50.0));
        let halves: Vec<usize> = (0..80).map(|i| 30 + 2 * i).collect();
        let mut half = Family {
            group: "",
            name: "",
            how: "",
            make_fg: from_frames(&halves, "", 16),
            own_bg: None,
            expect: matching(&halves),
        };
        half.make_fg = half
            .make_fg
            .iter()
            .map(|a| if a == "25" { "12.5".into() } else { a.replace("25*TB", "12.5*TB") })
            .collect();
        rate("frame rate", "1:2", "12.5 fps fg on 25 fps bg (every second frame of 30-189)", half);
        rate(
            "frame rate",
            "30000/1001 on 25",
            "15 s (450 frames) from bg frame 60",
            retimed(60, 450, "30000/1001", 30000.0 / 1001.0),
        );
        list.push(variable_rate());
        list.push(joined_retimed());
        list.push(sped(
            "sped up 1.25 times",
            "bg frames 40-188, four in every five (editor's speed 125 %)",
            40,
            120,
            (5, 4),
        ));
        list.push(sped("sped up 2 times", "every second bg frame of 20-188", 20, 85, (2, 1)));
        list.push(edited(
            "slowed to half",
            "bg 40-119 at half speed throughout (each frame twice)",
            &[HalfSpeed(40, 119)],
        ));
        list.last_mut().expect("pushed").group = "speed";
        list.push(across_cut("1 s before", "1080p bg, fg a 30 fps crop from 1 s before a cut", 24));
        list.push(across_cut("0.5 s before", "the same from 0.5 s before the cut", 12));
        list.push(across_cut("0.2 s before", "the same from 0.2 s before the cut", 5));
        list.push(still_backdrop());
        list.push(repeated_in_bg());
        list.extend(refusals());
        list
    }

    /// fg's pictures at another speed than its 25 fps timestamps, throughout: fg frame k shows
    /// bg frame `start + k · num / den` (rounded down), `count` frames. Selected by a rule on
    /// the frame number (`from_frames`' list of a hundred frames is more than ffmpeg's
    /// expressions take): `m = n - start` is some k's when `(-m · den) mod num < den`.
    fn sped(name: &'static str, how: &'static str, start: usize, count: usize, (num, den): (usize, usize)) -> Family {
        let frames: Vec<usize> = (0..count).map(|k| start + k * num / den).collect();
        let (first, last) = (frames[0], frames[count - 1]);
        let filter = format!(
            "select='between(n,{first},{last})*lt(mod({num}-mod((n-{start})*{den},{num}),{num}),{den})',setpts=N/(25*TB),{CROP},{GRADE}"
        );
        let mut make_fg = vec!["-i".into(), "{bg}".into(), "-vf".into(), filter, "-r".into(), "25".into()];
        make_fg.extend(args("-an -c:v libx264 -preset veryfast -crf 16"));
        Family { group: "speed", name, how, make_fg, own_bg: None, expect: matching(&frames) }
    }

    /// fg a dark, blurred, nearly still corner of the interview (bg the interview itself):
    /// frames a few apart look alike there, and a map a few frames off matches about as well
    /// (the two passes happened to be exact, the one pass 3 frames late, the C host 1 frame,
    /// all at exit 0). The full-size pictures of the bg frames either side of a match score
    /// within 2.3e-5 of each other against fg's, so nothing can verify which one fg shows,
    /// while bg around fg moves: refused as ambiguous.
    fn still_backdrop() -> Family {
        let mut make_fg = args("-ss 1.5 -i {media}/interview-1080p24.mp4 -t 3 -vf");
        make_fg.push("scale=640:360,setsar=1,crop=108:60:34:34,eq=contrast=1.1".into());
        make_fg.extend(args("-an -c:v libx264 -preset veryfast -crf 16"));
        let mut make_bg = args("-i {media}/interview-1080p24.mp4 -vf scale=640:360,setsar=1");
        make_bg.extend(args("-an -c:v libx264 -preset veryfast -crf 16 -g 12"));
        Family {
            group: "degraded",
            name: "a still backdrop",
            how: "the interview's dark corner, 108x60 from 1.5 s (bg the interview, a keyframe every 12 frames): bg frames a few apart alike there",
            make_fg,
            own_bg: Some(OwnBg { make: make_bg, fg_at: (34, 34) }),
            expect: Expect::Refusal { exit: 1 },
        }
    }

    /// bg shows a shot twice (bg frames 0-299, then 40-139 again, the whole with temporal noise
    /// as a re-encode adds: the two copies differ by their noise); fg, a crop of the clean
    /// source of bg 60-109, matches both spans alike, and which one it was cut from cannot be
    /// told (an editor placing fg by the map would get one by chance): refused as ambiguous,
    /// naming both.
    fn repeated_in_bg() -> Family {
        let mut make_bg = args("-i {bg} -filter_complex");
        make_bg.push(
            "[0:v]trim=start_frame=0:end_frame=300,setpts=N/(25*TB)[a];\
             [0:v]trim=start_frame=40:end_frame=140,setpts=N/(25*TB)[b];\
             [a][b]concat=n=2:v=1:a=0,noise=alls=4:allf=t[v]"
                .into(),
        );
        make_bg.extend(args("-map [v] -r 25 -an -c:v ffv1"));
        // The common bg's first part is the film at 640x360 and 25 fps (`make_bg`).
        let mut make_fg = args("-i {media}/film-720p24.mp4 -vf");
        make_fg.push(format!(
            "scale=640:360,setsar=1,setpts=N/(25*TB),select='between(n,60,109)',setpts=N/(25*TB),{CROP},{GRADE}"
        ));
        make_fg.extend(args("-r 25 -an -c:v libx264 -preset veryfast -crf 16"));
        Family {
            group: "edited",
            name: "bg repeats the shot",
            how: "bg 0-299, then 40-139 again, with noise; fg a crop of 60-109: two spans alike",
            make_fg,
            own_bg: OwnBg::clip(make_bg),
            expect: Expect::Refusal { exit: 1 },
        }
    }

    /// A piece of an edited fg: bg frames `a..=b` at speed 1; the same at half speed (each
    /// frame shown twice); bg frame `a` held for `b` frames.
    enum Piece {
        Shot(usize, usize),
        HalfSpeed(usize, usize),
        Freeze(usize, usize),
    }

    /// fg: the pieces in order at 25 fps, cropped and graded; and the bg frame under each fg
    /// frame.
    fn edit(pieces: &[Piece]) -> (Vec<String>, Vec<usize>) {
        let mut graph = String::new();
        let mut truth = Vec::new();
        for (k, piece) in pieces.iter().enumerate() {
            graph += &match *piece {
                Piece::Shot(a, b) => {
                    truth.extend(a..=b);
                    format!("[0:v]select='between(n,{a},{b})',setpts=N/(25*TB)[s{k}];")
                }
                Piece::HalfSpeed(a, b) => {
                    truth.extend((a..=b).flat_map(|f| [f, f]));
                    // One frame more than shown, so that the last one is held its whole time.
                    format!(
                        "[0:v]select='between(n,{a},{})',setpts=2*N/(25*TB),fps=25,trim=end_frame={},setpts=N/(25*TB)[s{k}];",
                        b + 1,
                        2 * (b - a + 1)
                    )
                }
                Piece::Freeze(f, count) => {
                    truth.extend(std::iter::repeat_n(f, count));
                    format!("[0:v]select='eq(n,{f})',loop=loop={}:size=1:start=0,setpts=N/(25*TB)[s{k}];", count - 1)
                }
            };
        }
        graph += &(0..pieces.len()).map(|k| format!("[s{k}]")).collect::<String>();
        graph += &format!("concat=n={}:v=1:a=0,{CROP},{GRADE}", pieces.len());
        let mut make_fg = args("-i {bg} -filter_complex");
        make_fg.push(graph);
        make_fg.extend(args("-r 25 -an -c:v libx264 -preset veryfast -crf 16"));
        (make_fg, truth)
    }

    fn edited(name: &'static str, how: &'static str, pieces: &[Piece]) -> Family {
        let (make_fg, truth) = edit(pieces);
        Family { group: "edited", name, how, make_fg, own_bg: None, expect: matching(&truth) }
    }

    /// bg: a 1080p programme at 24 fps, 4 s of the film then 4 s of the interview (the cut
    /// before frame 96); fg: a 960x540 crop at (400, 200) from `before` frames ahead of the cut,
    /// re-timed to 30 fps, 90 frames.
    fn across_cut(name: &'static str, how: &'static str, before: usize) -> Family {
        let graph = "[0:v]trim=0:4,scale=1920:1080,setsar=1,fps=24,setpts=N/(24*TB)[a];\
                     [1:v]trim=0:4,setsar=1,fps=24,setpts=N/(24*TB)[b];[a][b]concat=n=2:v=1:a=0[v]";
        let mut make_bg = args("-i {media}/film-720p24.mp4 -i {media}/interview-1080p24.mp4 -filter_complex");
        make_bg.push(graph.into());
        make_bg.extend(args("-map [v] -an -c:v libx264 -preset veryfast -crf 14"));
        let (start, count) = (96 - before, 90);
        // bg is stored with millisecond timestamps, and 24 -> 30 fps puts every fourth frame
        // on a tie between two slots, which those rounded timestamps decide: ffmpeg's fps
        // filter shows frame k from the slot nearest its stored time (halves up).
        let ms = |k: usize| (k as f64 * 1000.0 / 24.0).round() as i64;
        let first_slot = |k: usize| ((ms(start + k) - ms(start)) * 60 + 1000).div_euclid(2000) as usize;
        let shown = |i: usize| (0..).take_while(|&k| first_slot(k + 1) <= i).count();
        let truth: Vec<usize> = (0..count).map(|i| start + shown(i)).collect();
        let filter = format!(
            "trim=start_frame={start}:end_frame={},setpts=PTS-STARTPTS,crop=960:540:400:200,{GRADE},fps=30",
            truth.last().unwrap() + 1
        );
        let mut make_fg = vec!["-i".into(), "{bg}".into(), "-vf".into(), filter, "-frames:v".into(), count.to_string()];
        make_fg.extend(args("-an -c:v libx264 -preset veryfast -crf 16"));
        Family {
            group: "cut in bg",
            name,
            how,
            make_fg,
            own_bg: Some(OwnBg { make: make_bg, fg_at: (400, 200) }),
            expect: matching(&truth),
        }
    }

    /// bg: four clips of the common bg joined end to end, the second and fourth reversed
    /// (390 frames); fg: 15 s of it from frame 10, re-timed to 29.97 fps.
    fn joined_retimed() -> Family {
        let clip = |k: usize, a: usize, b: usize, reverse: bool| {
            let r = if reverse { "reverse," } else { "" };
            format!("[0:v]trim=start_frame={a}:end_frame={b},{r}setpts=N/(25*TB)[c{k}];")
        };
        let graph = clip(0, 0, 100, false)
            + &clip(1, 200, 300, true)
            + &clip(2, 380, 480, false)
            + &clip(3, 100, 190, true)
            + "[c0][c1][c2][c3]concat=n=4:v=1:a=0[v]";
        let mut make_bg = args("-i {bg} -filter_complex");
        make_bg.push(graph);
        make_bg.extend(args("-map [v] -r 25 -an -c:v ffv1"));
        let mut f = retimed(10, 449, "30000/1001", 30000.0 / 1001.0);
        f.group = "frame rate";
        f.name = "29.97 on joined clips";
        f.how = "15 s from frame 10 of four clips joined end to end, two of them reversed";
        f.own_bg = OwnBg::clip(make_bg);
        f
    }

    fn inserted() -> Family {
        let graph = "[0:v]select='between(n,20,79)',setpts=N/(25*TB)[a];\
             [0:v]select='between(n,150,189)',setpts=N/(25*TB),vflip[b];\
             [0:v]select='between(n,80,139)',setpts=N/(25*TB)[c];\
             [a][b][c]concat=n=3:v=1:a=0,"
            .to_string()
            + CROP
            + ","
            + GRADE;
        let mut make_fg = args("-i {bg} -filter_complex");
        make_fg.push(graph);
        make_fg.extend(args("-r 25 -an -c:v libx264 -preset veryfast -crf 16"));
        let truth: Vec<Option<usize>> = [
            span(20, 80).into_iter().map(Some).collect::<Vec<_>>(),
            vec![None; 40],
            span(80, 140).into_iter().map(Some).collect(),
        ]
        .concat();
        let n = truth.len();
        Family {
            group: "edited",
            name: "inserted footage",
            how: "bg 20-79, 40 frames bg lacks, bg 80-139",
            make_fg,
            own_bg: None,
            expect: Expect::Match { truth, free: vec![false; n] },
        }
    }

    /// fg: bg 40-139, fading from black over its first 20 frames and to black over its last 20.
    /// A frame whose picture is under a quarter of its full brightness may go either way.
    fn fades() -> Family {
        let frames = span(40, 140);
        let make_fg = from_frames(&frames, "fade=t=in:s=0:n=20,fade=t=out:s=80:n=20", 16);
        // ffmpeg's fade: frame k of the fade in is at k/20 of full brightness, of the fade out
        // at (20 - k)/20.
        let level = |i: usize| -> f64 {
            if i < 20 {
                i as f64 / 20.0
            } else if i >= 80 {
                (99 - i) as f64 / 20.0
            } else {
                1.0
            }
        };
        let free = (0..100).map(|i| level(i) < 0.25).collect();
        Family {
            group: "edited",
            name: "fades",
            how: "from and to black over 20 frames each (under 1/4 brightness: either way)",
            make_fg,
            own_bg: None,
            expect: Expect::Match { truth: frames.iter().map(|&f| Some(f)).collect(), free },
        }
    }

    /// fg: bg 30-229 with irregular frames dropped, each kept frame at its own bg time.
    fn variable_rate() -> Family {
        let frames: Vec<usize> = (30..230).filter(|n| n % 5 != 2 && n % 7 != 4 && n % 11 != 6).collect();
        let picks: Vec<String> =
            [(2, 5), (4, 7), (6, 11)].iter().map(|(r, m)| format!("not(eq(mod(n,{m}),{r}))")).collect();
        let filter = format!("select='between(n,30,229)*{}',{CROP},{GRADE}", picks.join("*"));
        let mut make_fg = vec!["-i".into(), "{bg}".into(), "-vf".into(), filter];
        make_fg.extend(args("-fps_mode passthrough -an -c:v libx264 -preset veryfast -crf 16"));
        Family {
            group: "frame rate",
            name: "variable frame rate",
            how: "bg 30-229 with frames dropped irregularly, timestamps kept",
            make_fg,
            own_bg: None,
            expect: matching(&frames),
        }
    }

    fn refusals() -> Vec<Family> {
        let clip_part = |clip: &str, start: &str, seconds: &str, filter: &str| -> Vec<String> {
            let mut v = args(&format!("-ss {start} -i {{media}}/{clip} -t {seconds} -vf"));
            v.push(format!("scale=640:360,setsar=1,{filter}"));
            v.extend(args("-an -c:v libx264 -preset veryfast -crf 16"));
            v
        };
        vec![
            Family {
                group: "not in bg",
                name: "another film",
                how: "fg from the interview, bg the film",
                make_fg: clip_part("interview-1080p24.mp4", "1", "4", &format!("{CROP},{GRADE}")),
                own_bg: OwnBg::clip(clip_part("film-720p24.mp4", "0", "8", "null")),
                expect: Expect::Refusal { exit: 1 },
            },
            Family {
                group: "not in bg",
                name: "the part bg lacks",
                how: "fg the film from 5 s, bg its first 4 s (one continuous look)",
                make_fg: clip_part("film-720p24.mp4", "5", "3", &format!("{CROP},{GRADE}")),
                own_bg: OwnBg::clip(clip_part("film-720p24.mp4", "0", "4", "null")),
                expect: Expect::Refusal { exit: 1 },
            },
            Family {
                group: "not in bg",
                name: "a static scene at other instants",
                how: "fg the interview from 4.2 s, bg its first 3.8 s",
                make_fg: clip_part("interview-1080p24.mp4", "4.2", "3", &format!("{CROP},{GRADE}")),
                own_bg: OwnBg::clip(clip_part("interview-1080p24.mp4", "0", "3.8", "null")),
                expect: Expect::Refusal { exit: 1 },
            },
        ]
    }

    fn s(p: &Path) -> String {
        p.to_string_lossy().to_string()
    }

    /// Runs ffmpeg with `args`, `{bg}` and `{media}` replaced, writing `out`.
    fn ffmpeg(args: &[String], bg: &Path, media: &Path, out: &Path) {
        let args: Vec<String> = args.iter().map(|a| a.replace("{bg}", &s(bg)).replace("{media}", &s(media))).collect();
        let r = Command::new("ffmpeg").args(["-v", "error", "-nostdin", "-y"]).args(&args).arg(out).output().unwrap();
        assert!(r.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&r.stderr));
    }

    /// bg: the film, the interview and the film mirrored at 640x360, played at 25 fps.
    fn make_bg(media: &Path, out: &Path) {
        let each = "scale=640:360,setsar=1,setpts=N/(25*TB)";
        let graph = format!("[0:v]{each}[a];[1:v]{each}[b];[0:v]{each},hflip[c];[a][b][c]concat=n=3:v=1:a=0[v]");
        let mut a = args(&format!("-i {0}/film-720p24.mp4 -i {0}/interview-1080p24.mp4 -filter_complex", s(media)));
        a.push(graph);
        a.extend(args("-map [v] -r 25 -c:v ffv1"));
        ffmpeg(&a, out, media, out);
    }

    fn field(text: &str, key: &str) -> Option<f64> {
        let at = text.find(key)? + key.len();
        text[at..].split(|c: char| !(c.is_ascii_digit() || c == '.')).next()?.parse().ok()
    }

    /// `family` through `vidkompy comp --path path`: what it measured, and the alignment of a
    /// matching pair.
    fn run(family: &Family, bg: &Path, media: &Path, dir: &Path, path: &str) -> (Measured, Option<Alignment>) {
        let fg = dir.join("fg.mkv");
        let bg = match &family.own_bg {
            Some(own_bg) => {
                let own = dir.join("bg.mkv");
                if !own.exists() {
                    ffmpeg(&own_bg.make, bg, media, &own);
                }
                own
            }
            None => bg.to_path_buf(),
        };
        if !fg.exists() {
            ffmpeg(&family.make_fg, &bg, media, &fg);
        }
        let (out, report) = (dir.join(format!("out-{path}.mkv")), dir.join(format!("report-{path}.json")));
        let r = Command::new(env!("CARGO_BIN_EXE_vidkompy"))
            .args(["comp", "-q", "--codec", "mpeg4", "--bitrate", "1M", "--audio", "none", "--path", path])
            .args(["--live-lag", LIVE_LAG])
            .args(["--bg", &s(&bg), "--fg", &s(&fg), "-o", &s(&out), "--report", &s(&report)])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr).to_string();
        match &family.expect {
            Expect::Refusal { exit } => {
                // The default path's scout, or its one pass looking for fg's start in a bounded
                // stretch of bg, may refuse a pair as not found (exit 1) before its shots are seen.
                let code = r.status.code();
                let expected = code == Some(*exit) || (path == "auto" && code == Some(1));
                let refused = expected && !out.exists() && !report.exists();
                let exit = code.unwrap_or(-1);
                let time_confidence = field(&stderr, "time-map confidence ").unwrap_or(f64::NAN);
                let score = field(&stderr, "best placement score ");
                let why = if stderr.contains("no better than by chance") {
                    "no closer than chance"
                } else if stderr.contains("two placements score alike") {
                    "ambiguous: two placements alike"
                } else if stderr.contains("no keyframe of bg showed fg") {
                    "the scout: no bg frame like fg"
                } else if stderr.contains("bg frames seen") {
                    "fg's start beyond the one pass's reach"
                } else if stderr.contains("matched none") {
                    "fg's start matched no bg frame"
                } else if stderr.contains("cannot be verified") {
                    "bg frames alike, ambiguous"
                } else if stderr.contains("two spans of bg alike") {
                    "two spans of bg alike, ambiguous"
                } else if stderr.contains("no counterpart") {
                    "too few frames matched"
                } else if stderr.contains("another order") {
                    "shots in another order than bg's"
                } else if stderr.contains("best placement score") {
                    "placement score under min_confidence"
                } else {
                    "other"
                };
                let m = Measured {
                    c_host: None,
                    one_pass: None,
                    same_as_two_pass: 0,
                    fg_frames: 0,
                    exact: 0,
                    off_by_one: 0,
                    worse: 0,
                    outside_right: 0,
                    outside_truth: 0,
                    free: 0,
                    placement: "-".into(),
                    placement_score: score.unwrap_or(f64::NAN),
                    placement_confidence: score.map_or(f64::NAN, vidkompy::spatial::placement_confidence),
                    time_confidence,
                    verdict: if refused {
                        format!("refused, exit {exit} ({why})")
                    } else {
                        format!("NOT refused: {stderr}")
                    },
                    passed: refused,
                };
                (m, None)
            }
            Expect::Match { truth, free } => {
                assert!(r.status.success(), "{} ({path}): {stderr}", family.name);
                let report = std::fs::read_to_string(&report).unwrap();
                // The default path runs the scout (bg here is FFV1, every frame a keyframe: the
                // densest sample), then the one pass over the scout's span. The one pass cannot
                // verify a run of fg frames it matched nowhere (they may lie in bg it no longer
                // holds): it hands such pairs to the two passes.
                let long_outside_run =
                    truth.windows(vidkompy::temporal::MIN_RUN).any(|w| w.iter().all(Option::is_none));
                // Nor can it go back to bg it no longer holds (shots in another order).
                let matched: Vec<usize> = truth.iter().flatten().copied().collect();
                let goes_back = matched.windows(2).any(|w| w[1] < w[0]);
                let ran = match path {
                    "auto" if long_outside_run || goes_back => "two-pass",
                    "auto" => "scout+one-pass",
                    _ => path,
                };
                // The default path falls back to the two passes when the one pass's result is
                // not trusted (a frame matched at chance, an edge of the scout's span): the
                // table says so.
                let named = |p: &str| report.contains(&format!("\"path\": \"{p}\""));
                let fell_back = path == "auto" && ran != "two-pass" && named("two-pass");
                assert!(named(ran) || fell_back, "{}: the report names the path {ran}", family.name);
                let a = Alignment::from_json(&report).unwrap();
                if path == "two-pass" {
                    assert_eq!(a.bg_frames, if family.own_bg.is_none() { BG_FRAMES } else { a.bg_frames });
                }
                let mut m = score(family, &a, truth, free);
                if fell_back {
                    m.verdict += " (fell back to two passes)";
                }
                (m, Some(a))
            }
        }
    }

    /// `family` through the C host example, with its seeking frame provider or without one
    /// (run after `run`, which made fg and the family's own bg in `dir`): the table's cell and
    /// whether it passed (the same bar as `comp`: matched at 99.5 %, or refused with nothing
    /// written).
    fn c_host(family: &Family, bg: &Path, dir: &Path, provider: bool) -> (String, bool) {
        let Some(host) = common::build_c_host() else { return ("not run".into(), true) };
        let bg = if family.own_bg.is_some() { dir.join("bg.mkv") } else { bg.to_path_buf() };
        let report = dir.join(format!("c-host-{provider}.json"));
        let mut cmd = Command::new(host);
        cmd.arg(&bg).arg(dir.join("fg.mkv")).arg("/dev/null").arg(&report);
        if !provider {
            cmd.arg("--no-provider");
        }
        let r = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr).to_string();
        match &family.expect {
            Expect::Refusal { .. } => {
                let refused = r.status.code() == Some(1) && !report.exists();
                let cell = if refused {
                    "refused".into()
                } else {
                    format!("**not refused**, exit {}", r.status.code().unwrap_or(-1))
                };
                (cell, refused)
            }
            Expect::Match { truth, free } => {
                if !r.status.success() {
                    return (format!("FAIL: {stderr}"), false);
                }
                let a = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
                let m = score(family, &a, truth, free);
                let share = percent(m.exact + m.outside_right, truth.len() - m.free);
                let approximate =
                    if a.placement_approximate { format!(", {} approximate", m.placement) } else { String::new() };
                let cell = if m.passed {
                    format!("{share}{approximate}")
                } else {
                    format!("**short of the bar**: {share}, placement {}{approximate}", m.placement)
                };
                (cell, m.passed)
            }
        }
    }

    fn score(family: &Family, a: &Alignment, truth: &[Option<usize>], free: &[bool]) -> Measured {
        assert_eq!(a.fg_frames, truth.len(), "{}: fg frames", family.name);
        let mut m = Measured {
            c_host: None,
            one_pass: None,
            same_as_two_pass: 0,
            fg_frames: truth.len(),
            exact: 0,
            off_by_one: 0,
            worse: 0,
            outside_right: 0,
            outside_truth: truth.iter().filter(|t| t.is_none()).count(),
            free: 0,
            placement: format!("({}, {}) x{:.3}", a.placement.x, a.placement.y, a.placement.scale),
            placement_score: a.placement.confidence,
            placement_confidence: a.placement.calibrated_confidence(),
            time_confidence: a.time.overall_confidence,
            verdict: String::new(),
            passed: false,
        };
        let mut wrong = Vec::new();
        for (i, t) in truth.iter().enumerate() {
            let outside = a.time.is_outside(i);
            let got = a.time.map[i] as i64;
            match t {
                _ if free[i] => m.free += 1,
                None if outside => m.outside_right += 1,
                Some(t) if !outside && got == *t as i64 => m.exact += 1,
                Some(t) if !outside && (got - *t as i64).abs() == 1 => {
                    m.off_by_one += 1;
                    wrong.push(i);
                }
                _ => {
                    m.worse += 1;
                    wrong.push(i);
                }
            }
        }
        let judged = truth.len() - m.free;
        let share = (m.exact + m.outside_right) as f64 / judged as f64;
        let at = family.own_bg.as_ref().map_or((96, 54), |o| o.fg_at);
        // A placement found without full-size frames (no provider) says so, and is within the
        // analyzer's copies' resolution: 2 px.
        let off = (a.placement.x - at.0).abs().max((a.placement.y - at.1).abs());
        let within = if a.placement_approximate { 2 } else { 0 };
        let placed = off <= within && (a.placement.scale - 1.0).abs() < 0.005;
        m.passed = share >= 0.995 && m.worse == 0 && placed;
        m.verdict = if m.passed { "pass".into() } else { format!("FAIL: placement {}, frames {wrong:?}", m.placement) };
        m
    }

    fn percent(part: usize, whole: usize) -> String {
        format!("{:.1} %", 100.0 * part as f64 / whole.max(1) as f64)
    }

    fn table(rows: &[(&Family, Measured)]) -> String {
        let mut t = String::from(
            "| family | fg | frames | exact | off by 1 | worse | outside (of truly outside) | placement | score | placement conf. | time-map conf. | result | default: exact | default = two passes | default (scout, one pass) | C host | C host, no provider |\n\
             |---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---|---|---|\n",
        );
        for (f, m) in rows {
            let conf = |c: f64| if c.is_nan() { "-".to_string() } else { format!("{c:.2}") };
            let verdict = match m.verdict.split(':').next().unwrap() {
                "FAIL" => format!("**short of the bar** (placement {})", m.placement),
                v => v.to_string(),
            };
            let one = m.one_pass.as_ref().expect("both paths ran");
            let one_verdict = match one.verdict.split(':').next().unwrap() {
                "FAIL" => format!("**short of the bar** (placement {})", one.placement),
                v => v.to_string(),
            };
            let [with, without] = m.c_host.clone().expect("the C host ran").map(|c| c.0);
            if m.fg_frames == 0 {
                t += &format!(
                    "| {}: {} | {} | | | | | | - | {} | {} | {} | {} | | | {} | {with} | {without} |\n",
                    f.group,
                    f.name,
                    f.how,
                    conf(m.placement_score),
                    conf(m.placement_confidence),
                    conf(m.time_confidence),
                    verdict,
                    one_verdict
                );
                continue;
            }
            let judged = m.fg_frames - m.free;
            let free = if m.free > 0 { format!(" ({} free)", m.free) } else { String::new() };
            t += &format!(
                "| {}: {} | {} | {}{free} | {} | {} | {} | {} of {} | {} | {:.2} | {} | {} | {} | {} | {} | {} | {with} | {without} |\n",
                f.group,
                f.name,
                f.how,
                m.fg_frames,
                percent(m.exact + m.outside_right, judged),
                m.off_by_one,
                m.worse,
                m.outside_right,
                m.outside_truth,
                m.placement,
                m.placement_score,
                conf(m.placement_confidence),
                conf(m.time_confidence),
                verdict,
                percent(one.exact + one.outside_right, judged),
                percent(m.same_as_two_pass, m.fg_frames),
                one_verdict
            );
        }
        t
    }

    /// Families that do not reach the bar yet, shown as such in the table; the test fails when
    /// one of them starts passing, so the list cannot go stale.
    ///
    /// "slowed to half": bg frames 40-43 barely move, and three of fg's repeated frames there
    /// take the next bg frame, whose picture is as close (the repeat is moved back only when
    /// the held frame matches 1.5 times better): 157 of 160 exact, none further off, on every
    /// path.
    const NOT_YET: &[&str] = &["slowed to half"];
    /// The same for the default path (`comp`: the scout, then the live session's one pass).
    const NOT_YET_ONE_PASS: &[&str] = &["slowed to half"];
    /// The same for the C host with its frame provider.
    const NOT_YET_C_HOST: &[&str] = &["slowed to half"];
    /// The same for the C host without a frame provider.
    const NOT_YET_C_HOST_BARE: &[&str] = &["slowed to half"];

    const BEGIN: &str = "<!-- accuracy table: written by tests/accuracy.rs -->\n";
    const END: &str = "<!-- end of accuracy table -->";

    #[test]
    fn every_family_and_the_readme_table() {
        let Some(film) = common::media("film-720p24.mp4") else { return };
        if common::media("interview-1080p24.mp4").is_none() {
            return;
        }
        let media = film.parent().unwrap().to_path_buf();
        if Command::new("ffmpeg").arg("-version").output().is_err() {
            common::cannot_run("cannot run ffmpeg");
            return;
        }
        let d = common::TempDir::new("accuracy", "all");
        let bg = d.join("bg.mkv");
        make_bg(&media, &bg);
        // VIDKOMPY_ACCURACY_ONLY=TEXT runs the families whose name holds TEXT, without the README
        // check (for working on one family).
        let only = std::env::var("VIDKOMPY_ACCURACY_ONLY").ok();
        let families: Vec<Family> =
            families().into_iter().filter(|f| only.as_ref().is_none_or(|o| f.name.contains(o.as_str()))).collect();
        let next = Mutex::new(0usize);
        let results: Mutex<Vec<Option<Measured>>> = Mutex::new((0..families.len()).map(|_| None).collect());
        // Two workers: the machine's two cores (ffmpeg and the CLI each use about one).
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    loop {
                        let k = {
                            let mut n = next.lock().unwrap();
                            *n += 1;
                            *n - 1
                        };
                        let Some(family) = families.get(k) else { break };
                        let dir: PathBuf = d.join(format!("family-{k}"));
                        std::fs::create_dir_all(&dir).unwrap();
                        let (mut m, two) = run(family, &bg, &media, &dir, "two-pass");
                        let (one, live) = run(family, &bg, &media, &dir, "auto");
                        m.c_host = Some([true, false].map(|provider| c_host(family, &bg, &dir, provider)));
                        if let (Some(a), Some(b)) = (&two, &live) {
                            m.same_as_two_pass = (0..a.fg_frames.min(b.fg_frames))
                                .filter(|&i| match (a.time.is_outside(i), b.time.is_outside(i)) {
                                    // Outside frames agree when both say so (which bg frame
                                    // shows under them is free).
                                    (true, true) => true,
                                    (false, false) => a.time.map[i] == b.time.map[i],
                                    _ => false,
                                })
                                .count();
                        }
                        eprintln!(
                            "{}: {}: {} {} | default: {} {} same {}",
                            family.group,
                            family.name,
                            m.verdict,
                            m.time_confidence,
                            one.verdict,
                            one.time_confidence,
                            m.same_as_two_pass
                        );
                        m.one_pass = Some(Box::new(one));
                        results.lock().unwrap()[k] = Some(m);
                        if std::env::var_os("VIDKOMPY_KEEP_TEMP").is_none() {
                            let _ = std::fs::remove_dir_all(&dir);
                        }
                    }
                });
            }
        });
        let rows: Vec<(&Family, Measured)> =
            families.iter().zip(results.into_inner().unwrap()).map(|(f, m)| (f, m.unwrap())).collect();
        let measured = table(&rows);
        eprintln!("{measured}");
        let one_passed = |m: &Measured| m.one_pass.as_ref().is_some_and(|o| o.passed);
        let failed: Vec<String> = rows
            .iter()
            .filter(|(f, m)| !m.passed && !NOT_YET.contains(&f.name))
            .map(|(f, m)| format!("{}: {}", f.name, m.verdict))
            .chain(
                rows.iter()
                    .filter(|(f, m)| !one_passed(m) && !NOT_YET_ONE_PASS.contains(&f.name))
                    .map(|(f, m)| format!("{} (default path): {}", f.name, m.one_pass.as_ref().unwrap().verdict)),
            )
            .chain(rows.iter().flat_map(|(f, m)| {
                let runs = m.c_host.clone().expect("the C host ran");
                ["C host", "C host without a provider"]
                    .into_iter()
                    .zip(runs)
                    .filter(|(how, (_, passed))| {
                        let known = if how.ends_with("provider") { NOT_YET_C_HOST_BARE } else { NOT_YET_C_HOST };
                        !passed && !known.contains(&f.name)
                    })
                    .map(move |(how, (cell, _))| format!("{} ({how}): {cell}", f.name))
            }))
            .collect();
        assert!(failed.is_empty(), "families below 99.5 % exact or not refused:\n{}", failed.join("\n"));
        let mended: Vec<&str> =
            rows.iter().filter(|(f, m)| m.passed && NOT_YET.contains(&f.name)).map(|(f, _)| f.name).collect();
        assert!(mended.is_empty(), "{mended:?} now pass: take them off NOT_YET");
        let mended: Vec<&str> = rows
            .iter()
            .filter(|(f, m)| one_passed(m) && NOT_YET_ONE_PASS.contains(&f.name))
            .map(|(f, _)| f.name)
            .collect();
        assert!(mended.is_empty(), "{mended:?} now pass in one pass: take them off NOT_YET_ONE_PASS");
        let mended: Vec<&str> = rows
            .iter()
            .filter(|(f, m)| NOT_YET_C_HOST.contains(&f.name) && m.c_host.as_ref().is_some_and(|c| c[0].1))
            .map(|(f, _)| f.name)
            .collect();
        assert!(mended.is_empty(), "{mended:?} now pass through the C host: take them off NOT_YET_C_HOST");
        let mended: Vec<&str> = rows
            .iter()
            .filter(|(f, m)| NOT_YET_C_HOST_BARE.contains(&f.name) && m.c_host.as_ref().is_some_and(|c| c[1].1))
            .map(|(f, _)| f.name)
            .collect();
        assert!(
            mended.is_empty(),
            "{mended:?} now pass through the C host without a provider: take them off NOT_YET_C_HOST_BARE"
        );
        if only.is_none() {
            check_readme(&measured);
        }
    }

    /// README's table between the markers is `measured`; with `VIDKOMPY_WRITE_ACCURACY=1` it is
    /// written there instead.
    fn check_readme(measured: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let start = readme.find(BEGIN).expect("README has the accuracy table's start marker") + BEGIN.len();
        let end = readme[start..].find(END).expect("README has the accuracy table's end marker") + start;
        if std::env::var("VIDKOMPY_WRITE_ACCURACY").as_deref() == Ok("1") {
            std::fs::write(&path, format!("{}{measured}{}", &readme[..start], &readme[end..])).unwrap();
            return;
        }
        assert_eq!(
            &readme[start..end],
            measured,
            "README's accuracy table is not what was measured; \
             `VIDKOMPY_WRITE_ACCURACY=1 cargo test --features ffmpeg --test accuracy` writes it"
        );
    }
}
