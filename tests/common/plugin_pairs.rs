//! Pairs for the plugin tests (GStreamer, MLT): files made from ../shared/media with the
//! ffmpeg command, the plugins' hosts run as commands, and Y4M output read back frame by frame.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Whether a command runs at all; says why not (a failing test in CI) when it cannot.
pub fn have(program: &str, args: &[&str], why: &str) -> bool {
    let ok = Command::new(program).args(args).output().is_ok_and(|o| o.status.success());
    if !ok {
        super::cannot_run(why);
    }
    ok
}

/// The cdylib, then a plugin's Makefile (`plugins/{folder}`) building into `dir` against it.
pub fn build_plugin(dir: &Path, folder: &str) {
    super::build_cdylib();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("make")
        .arg("-C")
        .arg(root.join("plugins").join(folder))
        .arg(format!("OUT={}", s(dir)))
        .arg(format!("VIDKOMPY_LIBDIR={}", s(&super::library_dir())))
        .output()
        .unwrap();
    assert!(out.status.success(), "plugins/{folder} did not build:\n{}", String::from_utf8_lossy(&out.stderr));
}

pub fn ffmpeg(args: &[String]) {
    let status = Command::new("ffmpeg").args(["-v", "error", "-nostdin", "-y"]).args(args).status().unwrap();
    assert!(status.success(), "ffmpeg {args:?} failed");
}

pub fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

/// bg: `seconds` of `clip` at `size`; fg: a graded `crop` of bg from `start` for 3 s.
pub fn pair(dir: &Path, clip: &Path, size: &str, seconds: &str, start: &str, crop: &str) -> (PathBuf, PathBuf) {
    let (bg, fg) = (dir.join("bg.mp4"), dir.join("fg.mp4"));
    let mut a = args("-i");
    a.push(s(clip));
    a.extend(args(&format!("-t {seconds} -vf scale={size},setsar=1 -an -c:v libx264 -preset veryfast -crf 18")));
    a.push(s(&bg));
    ffmpeg(&a);
    let mut a = args(&format!("-ss {start} -i"));
    a.push(s(&bg));
    a.extend(args("-t 3 -vf"));
    a.push(format!("crop={crop},eq=contrast=1.1:brightness=0.03"));
    a.extend(args("-an -c:v libx264 -preset veryfast -crf 18"));
    a.push(s(&fg));
    ffmpeg(&a);
    (bg, fg)
}

/// The frames of a 4:2:0 Y4M file (headers differ between writers; the pictures may not).
pub fn y4m_frames(path: &Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap();
    let header_end = data.iter().position(|&b| b == b'\n').expect("a Y4M header");
    let header = String::from_utf8_lossy(&data[..header_end]).to_string();
    let field = |c: char| -> usize {
        header.split_whitespace().find_map(|t| t.strip_prefix(c)).and_then(|v| v.parse().ok()).unwrap()
    };
    let size = field('W') * field('H') * 3 / 2;
    let mut frames = Vec::new();
    let mut at = header_end + 1;
    while at < data.len() {
        let line_end = at + data[at..].iter().position(|&b| b == b'\n').expect("a FRAME line");
        assert!(data[at..].starts_with(b"FRAME"), "{}: a FRAME line", path.display());
        frames.push(data[line_end + 1..line_end + 1 + size].to_vec());
        at = line_end + 1 + size;
    }
    frames
}
