//! Push/pull sessions: the scout (where in bg fg can lie), the analyzer (pass 1), the
//! compositor (pass 2) and the live session (one pass).

pub mod analyzer;
pub mod clock;
pub mod compositor;
pub mod kept;
pub mod live;
pub mod picture_match;
pub mod placement_check;
pub mod random_access;
pub mod scout;
pub mod scout_window;
pub mod store;
pub mod stream;

pub use analyzer::Analyzer;
pub use compositor::{BufferedFrames, Compositor, FrameSource, PassStats, Received, Sent};
pub use live::{Live, LiveDecision, LiveStatus, LiveTimes};
pub use random_access::composite_frame;
pub use scout::{SURE_MISS_SCORE, Scout, ScoutAnswer, ScoutReport, ScoutSpan};
pub use scout_window::{DenseWindow, WindowCuts, map_entered_every_span, no_run_matched_nowhere, window_held_fg};
pub use stream::Stream;
