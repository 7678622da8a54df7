//! Builds examples/c/vidkompy_host.c (a C host that decodes with libavformat/libavcodec and
//! gives the analyzer a frame provider that seeks) and
//! runs it on a pair derived from ../shared/media: bg is the interview clip re-encoded at
//! 480x270; fg is a crop of it, graded, trimmed to start 0.5 s (12 frames) in, re-encoded.
//! The report must give the crop's position and fg frame i -> bg frame 12 + i, and the output
//! must have one frame per fg frame.

mod common;

use std::process::Command;

use vidkompy::alignment::Alignment;
use vidkompy::io::y4m::Y4mReader;

fn run(cmd: &mut Command, what: &str) -> bool {
    match cmd.output() {
        Ok(o) if o.status.success() => true,
        Ok(o) => panic!("{what} failed:\n{}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            common::cannot_run(&format!("cannot run {what}: {e}"));
            false
        }
    }
}

#[test]
fn c_host_with_libav_is_frame_exact_on_a_real_clip() {
    let Some(clip) = common::media("interview-1080p24.mp4") else { return };
    let Some(exe) = common::build_c_host() else { return };
    let dir = exe.parent().unwrap().to_path_buf();
    let (bg, fg) = (dir.join("bg.mp4"), dir.join("fg.mp4"));
    let ok = run(
        Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(&clip)
            .args(["-t", "6", "-vf", "scale=480:270", "-c:v", "libx264", "-crf", "18", "-an"])
            .arg(&bg),
        "ffmpeg (bg)",
    ) && run(
        Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-ss", "0.5", "-i"])
            .arg(&clip)
            .args([
                "-t",
                "4",
                "-vf",
                "scale=480:270,crop=288:162:96:54,eq=brightness=0.05:contrast=1.1",
                "-c:v",
                "libx264",
                "-crf",
                "20",
                "-an",
            ])
            .arg(&fg),
        "ffmpeg (fg)",
    );
    if !ok {
        return;
    }
    let (out, report) = (dir.join("out.y4m"), dir.join("report.json"));
    let host = Command::new(&exe).arg(&bg).arg(&fg).arg(&out).arg(&report).output().unwrap();
    let stderr = String::from_utf8_lossy(&host.stderr).to_string();
    assert!(host.status.success(), "vidkompy_host failed:\n{stderr}");
    // The host seeks for the frames the analyzer asks (the placement check's pairs).
    let given: usize = stderr
        .split("the frame provider gave ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no provider count in:\n{stderr}"));
    assert!(given > 0, "{stderr}");

    let alignment = Alignment::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let p = alignment.placement;
    assert_eq!((p.x, p.y, p.width, p.height, p.scale), (96, 54, 288, 162, 1.0), "{p:?}");
    assert!(!alignment.placement_approximate);
    let wrong: Vec<(usize, u32)> =
        alignment.time.map.iter().enumerate().filter(|&(i, &j)| j as usize != 12 + i).map(|(i, &j)| (i, j)).collect();
    assert!(wrong.is_empty(), "fg frames off the truth (fg, bg): {wrong:?}");
    assert!(alignment.time.outside.is_empty());

    let mut reader = Y4mReader::new(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!((reader.header().width, reader.header().height), (480, 270));
    let mut frames = 0;
    while reader.read_frame().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, alignment.fg_frames);
    assert_eq!(frames, 96, "4 s of fg at 24 fps");
}
