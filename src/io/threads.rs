//! The threads of a file job and the bounded channels between them: a decoder per input and an
//! encoder, so both cores stay busy while memory stays at a few frames per channel.

use std::thread::ScopedJoinHandle;
use std::time::Instant;

use crossbeam::channel::{Receiver, Sender};

use crate::error::{Error, Result};
use crate::frame::FrameBuf;
use crate::io::files::{InputFile, InputFrame, OutputFile};

/// Decoded frames waiting in each channel: enough to smooth out uneven decode times.
pub(crate) const CHANNEL_FRAMES: usize = 4;

pub(crate) type FrameMessage<F> = Result<F>;

/// Decodes `input` into `tx` (after `first`, when given) until the end (or the first frame
/// after `until` seconds), an error, or the receiver leaving. Returns the milliseconds spent
/// decoding and the frames decoded.
pub(crate) fn decode_into<I: InputFile>(
    mut input: I,
    first: Option<I::Frame>,
    tx: Sender<FrameMessage<I::Frame>>,
    until: Option<f64>,
) -> (f64, u64) {
    if let Some(f) = first
        && tx.send(Ok(f)).is_err()
    {
        return (0.0, input.frames_decoded());
    }
    let mut busy = 0.0;
    loop {
        let t = Instant::now();
        let next = input.next_frame();
        busy += t.elapsed().as_secs_f64() * 1e3;
        match next {
            Ok(Some(f)) if until.is_some_and(|end| seconds_of(&f) > end) => break,
            Ok(Some(f)) => {
                if tx.send(Ok(f)).is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(e));
                break;
            }
        }
    }
    (busy, input.frames_decoded())
}

pub(crate) fn receive<F>(rx: &Receiver<FrameMessage<F>>) -> Result<Option<F>> {
    match rx.recv() {
        Ok(Ok(f)) => Ok(Some(f)),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

pub(crate) fn joined<T>(handle: ScopedJoinHandle<'_, T>) -> Result<T> {
    handle.join().map_err(|_| thread_lost())
}

/// A pipeline thread panicked (its join, or a lock it poisoned, says so).
pub(crate) fn thread_lost() -> Error {
    Error::Internal("a pipeline thread panicked".into())
}

pub(crate) fn seconds_of<F: InputFrame>(f: &F) -> f64 {
    f.as_frame().seconds().unwrap_or(f64::INFINITY)
}

pub(crate) enum ToEncoder {
    Frame(FrameBuf, i64),
    /// Everything was sent: finish the file. Without it the encoder thread discards its work.
    Finish,
}

/// Encodes what arrives until `Finish`; returns the milliseconds spent.
pub(crate) fn encode_from<O: OutputFile>(
    mut output: O,
    rx: Receiver<ToEncoder>,
    recycle: Sender<FrameBuf>,
) -> Result<f64> {
    let mut busy = 0.0;
    loop {
        match rx.recv() {
            Ok(ToEncoder::Frame(buf, pts)) => {
                let t = Instant::now();
                output.write(&buf.as_frame(), pts)?;
                busy += t.elapsed().as_secs_f64() * 1e3;
                let _ = recycle.try_send(buf);
            }
            Ok(ToEncoder::Finish) => {
                let t = Instant::now();
                output.finish()?;
                return Ok(busy + t.elapsed().as_secs_f64() * 1e3);
            }
            Err(_) => return Err(Error::Internal("the composite stopped before its end".into())),
        }
    }
}
