//! A live host: fg and bg frames arrive one by one (here from the generator, as a camera and a
//! programme feed would), go into the live session as it asks, and composited frames come out
//! `live_lag` fg frames later. Prints what it saw: the placement, the latency, the frames held.
//!
//!     cargo run --release --example live

use vidkompy::session::{Live, Received, Sent, Stream};
use vidkompy::synth::{Grade, PairSpec, SyntheticPair};
use vidkompy::{FrameBuf, Settings};

fn main() -> Result<(), vidkompy::Error> {
    let spec = PairSpec {
        fg_start: 1.0,
        fg_frames: 200,
        bg_frames: 260,
        grade: Grade { brightness: 0.05, contrast: 1.1, gamma: 0.95 },
        ..PairSpec::default()
    };
    let pair = SyntheticPair::new(spec.clone());
    let mut live = Live::new(Settings { live_lag: 25, ..Settings::default() });
    let (mut fg_next, mut bg_next) = (0usize, 0usize);
    let (mut out, mut exact, mut most_held, mut worst_lag) = (0usize, 0usize, 0usize, 0usize);
    // The frames a stream sent that the session did not take yet (it answered AGAIN).
    let mut waiting: [Option<FrameBuf>; 2] = [None, None];
    loop {
        match live.receive()? {
            Received::Frame(frame) => {
                let pts = frame.pts;
                let d = live.last_decision().expect("a frame came out");
                exact += pair.accepts(d.fg_index, d.bg_index) as usize;
                worst_lag = worst_lag.max(fg_next - d.fg_index);
                out += 1;
                if out % 50 == 0 {
                    println!("fg frame {} (pts {pts}) over bg frame {}", d.fg_index, d.bg_index);
                }
            }
            Received::Again(stream) => {
                let (next, count) = match stream {
                    Stream::Fg => (&mut fg_next, spec.fg_frames),
                    Stream::Bg => (&mut bg_next, spec.bg_frames),
                };
                let frame = waiting[stream as usize].take().or_else(|| {
                    (*next < count)
                        .then(|| if stream == Stream::Fg { pair.fg_frame(*next) } else { pair.bg_frame(*next) })
                });
                match live.send(stream, frame.as_ref().map(FrameBuf::as_frame).as_ref())? {
                    Sent::Accepted if frame.is_some() => *next += 1,
                    Sent::Accepted => {}
                    Sent::Again => waiting[stream as usize] = frame,
                }
            }
            Received::Eof => break,
        }
        most_held = most_held.max(live.held_bytes());
    }
    let p = live.placement().expect("locked");
    let status = live.status();
    println!(
        "{out} frames out, {exact} over their true bg frame; placement ({}, {}) (truth ({}, {})); at most {worst_lag} fg frames behind the input; at most {:.1} MiB held; {} start analyses",
        p.x,
        p.y,
        spec.x,
        spec.y,
        most_held as f64 / (1 << 20) as f64,
        status.start_attempts
    );
    Ok(())
}
