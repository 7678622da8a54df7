/*
 * vidkompy for C++17: RAII handles and exceptions over the C API of vidkompy.h.
 *
 * Header-only, no dependency beyond the standard library. Every failing call throws
 * vidkompy::Error, which carries the C status (VIDKOMPY_ERROR_*) and the call's message. Handles
 * are move-only and free themselves. Threading is the C API's: a handle is used by one thread at
 * a time; Settings and Alignment are immutable once made and may be shared, and
 * vidkompy::composite may run on many threads at once.
 *
 *     vidkompy::Analyzer analyzer;
 *     analyzer.push(vidkompy::Stream::Bg, bg_frame);            // any interleaving
 *     analyzer.push(vidkompy::Stream::Fg, fg_frame);
 *     vidkompy::Alignment alignment = analyzer.finish();         // throws Error (NO_MATCH, ...)
 *     vidkompy::Compositor compositor(alignment);
 *     vidkompy::Frame out;
 *     while (compositor.receive(out) != vidkompy::Received::Eof) ...
 */
#ifndef VIDKOMPY_HPP
#define VIDKOMPY_HPP

#include "vidkompy.h"

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace vidkompy {

/// A failed call: the C status (a negative VIDKOMPY_ERROR_*) and its message.
class Error : public std::runtime_error {
  public:
    Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }

  private:
    int status_;
};

namespace detail {

/// Throws for a negative status, with `message` (or the status's description when empty).
inline int check(int status, const char *message) {
    if (status < 0) throw Error(status, message != nullptr && *message != '\0' ? message : vidkompy_status_str(status));
    return status;
}

/// For calls that fill a VidkompyError: the message is the call's own, whatever thread runs it.
inline int check(int status, const VidkompyError &err) { return check(status, err.message); }

struct FreeSettings {
    void operator()(VidkompySettings *p) const noexcept { vidkompy_settings_free(&p); }
};
struct FreeAnalyzer {
    void operator()(VidkompyAnalyzer *p) const noexcept { vidkompy_analyzer_free(&p); }
};
struct FreeAlignment {
    void operator()(VidkompyAlignment *p) const noexcept { vidkompy_alignment_free(&p); }
};
struct FreeLive {
    void operator()(VidkompyLive *p) const noexcept { vidkompy_live_free(&p); }
};
struct FreeCompositor {
    void operator()(VidkompyCompositor *p) const noexcept { vidkompy_compositor_free(&p); }
};
struct FreeScout {
    void operator()(VidkompyScout *p) const noexcept { vidkompy_scout_free(&p); }
};

/// A stage callback behind the C trampoline's user pointer (its address stays put when the
/// handle moves). No exception may unwind through C: one is kept and rethrown by the call.
struct StageCallback {
    std::function<void(int stage, double done)> fn;
    std::exception_ptr thrown;

    static void told(void *user, int stage, double done) {
        auto *self = static_cast<StageCallback *>(user);
        try {
            self->fn(stage, done);
        } catch (...) {
            if (!self->thrown) self->thrown = std::current_exception();
        }
    }
    VidkompyStageCallback trampoline() const { return fn ? &StageCallback::told : nullptr; }
    void rethrow() {
        if (!thrown) return;
        std::exception_ptr t = thrown;
        thrown = nullptr;
        std::rethrow_exception(t);
    }
};

} // namespace detail

/// The two streams.
enum class Stream : int { Fg = VIDKOMPY_STREAM_FG, Bg = VIDKOMPY_STREAM_BG };

/// A frame borrowed from the host for the duration of a call: plane pointers and strides (in
/// bytes; negative for bottom-up rows), as VidkompyFrame. `format` is a VIDKOMPY_PIXEL_FORMAT_*,
/// optionally or-ed with VIDKOMPY_FRAME_RANGE_* and VIDKOMPY_FRAME_MATRIX_*.
struct Frame {
    VidkompyFrame raw{};

    Frame() = default;

    Frame(int format, int width, int height, std::initializer_list<const void *> planes,
          std::initializer_list<std::ptrdiff_t> strides) {
        raw.format = format;
        raw.width = width;
        raw.height = height;
        raw.pts = INT64_MIN;
        std::size_t i = 0;
        for (const void *p : planes)
            if (i < 4) raw.data[i++] = static_cast<const uint8_t *>(p);
        i = 0;
        for (std::ptrdiff_t s : strides)
            if (i < 4) raw.stride[i++] = s;
    }

    explicit Frame(const VidkompyFrame &f) : raw(f) {}

    /// The timestamp: pts in units of num/den seconds.
    Frame &with_pts(int64_t pts, int num, int den) {
        raw.pts = pts;
        raw.time_base_num = num;
        raw.time_base_den = den;
        return *this;
    }

    int pixel_format() const { return raw.format & VIDKOMPY_FRAME_FORMAT_MASK; }
    int width() const { return raw.width; }
    int height() const { return raw.height; }
    int64_t pts() const { return raw.pts; }
    const uint8_t *plane(std::size_t i) const { return raw.data[i]; }
    std::ptrdiff_t stride(std::size_t i) const { return raw.stride[i]; }

    /// Checks the frame as every push and send would; throws Error naming the cause.
    void validate() const {
        VidkompyError err;
        detail::check(vidkompy_frame_validate_ex(&raw, &err), err);
    }
};

/// Settings by key (every key is listed in vidkompy.h), shared read-only once made.
class Settings {
  public:
    Settings() {
        VidkompySettings *s = nullptr;
        VidkompyError err;
        detail::check(vidkompy_settings_new_ex(&s, &err), err);
        handle_.reset(s);
    }

    Settings &set(const std::string &key, const std::string &value) {
        // The message is read after the call (argument order is unspecified in C++).
        int status = vidkompy_settings_set(handle_.get(), key.c_str(), value.c_str());
        detail::check(status, vidkompy_settings_last_error(handle_.get()));
        return *this;
    }

    const VidkompySettings *get() const noexcept { return handle_.get(); }

  private:
    std::unique_ptr<VidkompySettings, detail::FreeSettings> handle_;
};

/// The settings pointer of an optional Settings (NULL: defaults).
inline const VidkompySettings *raw(const Settings *s) { return s != nullptr ? s->get() : nullptr; }

/// Where fg's content sits in bg.
using Placement = VidkompyPlacement;
/// What an alignment records of a stream.
using StreamInfo = VidkompyStreamInfo;
/// Frames dropped or repeated in pass 2.
using PassStats = VidkompyPassStats;

/// The result of analysis: immutable, shareable between threads, saved as JSON.
class Alignment {
  public:
    /// Takes ownership of a C alignment (freed with the last copy of this object).
    explicit Alignment(VidkompyAlignment *owned) : handle_(owned, detail::FreeAlignment{}) {}

    static Alignment from_json(const std::string &json) {
        VidkompyAlignment *a = nullptr;
        VidkompyError err;
        detail::check(vidkompy_alignment_from_json_ex(json.c_str(), &a, &err), err);
        return Alignment(a);
    }

    std::string to_json() const {
        std::size_t needed = 0;
        vidkompy_alignment_to_json(get(), nullptr, 0, &needed);
        std::string text(needed, '\0');
        VidkompyError err;
        detail::check(vidkompy_alignment_to_json_ex(get(), &text[0], needed, &needed, &err), err);
        text.resize(needed - 1);
        return text;
    }

    Placement placement() const {
        Placement p{};
        VidkompyError err;
        detail::check(vidkompy_alignment_placement_ex(get(), &p, &err), err);
        return p;
    }

    /// A new alignment with a corrected placement (validated).
    Alignment with_placement(const Placement &p) const {
        VidkompyAlignment *a = nullptr;
        VidkompyError err;
        detail::check(vidkompy_alignment_with_placement(get(), &p, &a, &err), err);
        return Alignment(a);
    }

    std::size_t fg_frames() const { return vidkompy_alignment_fg_frames(get()); }
    std::size_t bg_frames() const { return vidkompy_alignment_bg_frames(get()); }
    double confidence() const { return vidkompy_alignment_confidence(get()); }
    double placement_confidence() const { return vidkompy_alignment_placement_confidence(get()); }
    double offset_seconds() const { return vidkompy_alignment_offset_seconds(get()); }
    double rate() const { return vidkompy_alignment_rate(get()); }

    /// True when the placement was found on reduced copies and never checked on full-size frames.
    bool placement_approximate() const {
        int out = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_placement_approximate(get(), &out, &err), err);
        return out != 0;
    }

    /// The bg frame under fg frame `i`.
    uint32_t bg_index(std::size_t i) const {
        uint32_t j = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_bg_index_ex(get(), i, &j, nullptr, &err), err);
        return j;
    }

    /// The nominal pts (bg's time base) of the bg frame under fg frame `i`.
    int64_t bg_pts(std::size_t i) const {
        int64_t pts = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_bg_pts(get(), i, &pts, nullptr, nullptr, &err), err);
        return pts;
    }

    /// Whether a medium (its first frame as decoded, its frame count) is still the one the
    /// alignment's record of stream `s` describes (see vidkompy_alignment_media_matches).
    bool media_matches(Stream s, const Frame &first_frame, std::size_t frames) const {
        int matches = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_media_matches(get(), static_cast<int>(s), &first_frame.raw, frames, &matches,
                                                       &err),
                      err);
        return matches != 0;
    }

    /// The fg frame showing at `time`, in units of `num / den` seconds (a timeline's time base)
    /// on fg's clock.
    std::size_t fg_index_at(int64_t time, int num, int den) const {
        std::size_t i = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_fg_index_at(get(), time, num, den, &i, &err), err);
        return i;
    }

    /// The nominal time of the bg frame under fg frame `i`, in units of `num / den` seconds.
    int64_t bg_time(std::size_t i, int num, int den) const {
        int64_t t = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_bg_time(get(), i, num, den, &t, &err), err);
        return t;
    }

    double frame_confidence(std::size_t i) const {
        double c = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_frame_confidence(get(), i, &c, &err), err);
        return c;
    }

    std::vector<uint32_t> outside_frames() const {
        std::size_t count = 0;
        VidkompyError err;
        detail::check(vidkompy_alignment_outside_frames(get(), nullptr, 0, &count, &err), err);
        std::vector<uint32_t> out(count);
        if (count > 0) detail::check(vidkompy_alignment_outside_frames(get(), out.data(), count, &count, &err), err);
        return out;
    }

    StreamInfo stream_info(Stream s) const {
        StreamInfo info{};
        VidkompyError err;
        detail::check(vidkompy_alignment_stream_info(get(), static_cast<int>(s), &info, &err), err);
        return info;
    }

    const VidkompyAlignment *get() const noexcept { return handle_.get(); }

  private:
    std::shared_ptr<VidkompyAlignment> handle_;
};

/// Pass 1: frames of both streams in (any interleaving), an Alignment out.
class Analyzer {
  public:
    explicit Analyzer(const Settings *settings = nullptr) {
        VidkompyAnalyzer *a = nullptr;
        VidkompyError err;
        detail::check(vidkompy_analyzer_new_ex(raw(settings), &a, &err), err);
        handle_.reset(a);
        // The flag is read by the library as an int with atomic loads: std::atomic<int> is one.
        static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free,
                      "the cancel flag must be a plain lock-free int");
        check(vidkompy_analyzer_set_cancel_flag(handle_.get(), reinterpret_cast<const int *>(cancel_.get())));
    }

    /// Stops the analyzer, from any thread (a callback included): the running or next push or
    /// finish throws Error with VIDKOMPY_ERROR_CANCELLED, and the analyzer is finished.
    void cancel() { cancel_->store(1, std::memory_order_relaxed); }

    void push(Stream s, const Frame &f) { check(vidkompy_analyzer_push(handle_.get(), static_cast<int>(s), &f.raw)); }
    /// Ends a stream.
    void end(Stream s) { check(vidkompy_analyzer_push(handle_.get(), static_cast<int>(s), nullptr)); }
    void set_placement(const Placement &p) { check(vidkompy_analyzer_set_placement(handle_.get(), &p)); }
    void add_sample(Stream s, const Frame &f) {
        check(vidkompy_analyzer_add_sample(handle_.get(), static_cast<int>(s), &f.raw));
    }

    /// Gives frame `index` of a stream (0 is the first pushed of it; same format and size) by
    /// filling `frame`, whose memory must stay valid until the next call or finish() returns,
    /// and returning true; false when it cannot. finish() calls it for a few frames to check
    /// the placement at full size and for frames the analyzer kept no copy of (see
    /// VidkompyFrameProvider). An empty function clears it.
    using Provider = std::function<bool(Stream s, std::int64_t index, VidkompyFrame &frame)>;
    void set_frame_provider(Provider provider) {
        callbacks_->provider = std::move(provider);
        callbacks_->decode_cost = nullptr;
        VidkompyFrameProvider trampoline = callbacks_->provider ? &Callbacks::provide : nullptr;
        check(vidkompy_analyzer_set_frame_provider(handle_.get(), trampoline, callbacks_.get()));
    }
    /// The provider with what giving each frame costs: the frames decoded to give it, 0 for a
    /// keyframe, negative when unknown (see vidkompy_analyzer_set_frame_provider_with_cost).
    /// Set before pushing fg. An exception it throws counts as unknown and is rethrown.
    using DecodeCost = std::function<std::int64_t(Stream s, std::int64_t index)>;
    void set_frame_provider(Provider provider, DecodeCost decode_cost) {
        callbacks_->provider = std::move(provider);
        callbacks_->decode_cost = std::move(decode_cost);
        VidkompyFrameProvider trampoline = callbacks_->provider ? &Callbacks::provide : nullptr;
        VidkompyDecodeCost cost = callbacks_->decode_cost ? &Callbacks::cost : nullptr;
        check(vidkompy_analyzer_set_frame_provider_with_cost(handle_.get(), trampoline, cost, callbacks_.get()));
    }

    /// The log (level VIDKOMPY_LOG_*, message) and progress (fg and bg frames taken) callbacks,
    /// called on the thread that calls the analyzer; an empty function clears one. An exception
    /// a callback throws is caught at the C boundary and rethrown by the call that ran it.
    void set_callbacks(std::function<void(int level, const char *message)> log,
                       std::function<void(std::size_t fg_frames, std::size_t bg_frames)> progress) {
        callbacks_->log = std::move(log);
        callbacks_->progress = std::move(progress);
        check(vidkompy_analyzer_set_callbacks(handle_.get(), callbacks_->log ? &Callbacks::log_line : nullptr,
                                              callbacks_->progress ? &Callbacks::progressed : nullptr,
                                              callbacks_.get()));
    }

    /// The stage callback (stage VIDKOMPY_STAGE_*, share done 0..1), told by finish() as each
    /// stage starts and ends; an empty function clears it. An exception it throws is rethrown
    /// by finish().
    void set_stage_callback(std::function<void(int stage, double done)> told) {
        stage_->fn = std::move(told);
        check(vidkompy_analyzer_set_stage_callback(handle_.get(), stage_->trampoline(), stage_.get()));
    }

    /// The alignment; throws Error with VIDKOMPY_ERROR_NO_MATCH when fg is not in bg. When the
    /// C call answers VIDKOMPY_APPROXIMATE (the placement could not be checked on full-size
    /// frames), the alignment's placement_approximate() is true.
    Alignment finish() {
        VidkompyAlignment *a = nullptr;
        int status = vidkompy_analyzer_finish(handle_.get(), &a);
        Alignment alignment(a); // freed if a callback's exception is rethrown below
        check(status);
        return alignment;
    }

  private:
    /// The host's callbacks, behind the C trampolines' user pointer (its address stays put
    /// when the Analyzer moves). No exception may unwind through C: each is kept here.
    struct Callbacks {
        Provider provider;
        DecodeCost decode_cost;
        std::function<void(int, const char *)> log;
        std::function<void(std::size_t, std::size_t)> progress;
        std::exception_ptr thrown;

        static int provide(void *user, int stream, std::int64_t index, VidkompyFrame *frame) {
            auto *self = static_cast<Callbacks *>(user);
            try {
                return self->provider(static_cast<Stream>(stream), index, *frame) ? 0 : 1;
            } catch (...) {
                if (!self->thrown) self->thrown = std::current_exception();
                return 1;
            }
        }
        static std::int64_t cost(void *user, int stream, std::int64_t index) {
            auto *self = static_cast<Callbacks *>(user);
            try {
                return self->decode_cost(static_cast<Stream>(stream), index);
            } catch (...) {
                if (!self->thrown) self->thrown = std::current_exception();
                return -1;
            }
        }
        static void log_line(void *user, int level, const char *message) {
            auto *self = static_cast<Callbacks *>(user);
            try {
                self->log(level, message);
            } catch (...) {
                if (!self->thrown) self->thrown = std::current_exception();
            }
        }
        static void progressed(void *user, std::size_t fg, std::size_t bg) {
            auto *self = static_cast<Callbacks *>(user);
            try {
                self->progress(fg, bg);
            } catch (...) {
                if (!self->thrown) self->thrown = std::current_exception();
            }
        }
    };

    int check(int status) {
        if (callbacks_->thrown) {
            std::exception_ptr thrown = callbacks_->thrown;
            callbacks_->thrown = nullptr;
            std::rethrow_exception(thrown);
        }
        stage_->rethrow();
        return detail::check(status, vidkompy_analyzer_last_error(handle_.get()));
    }
    std::unique_ptr<Callbacks> callbacks_ = std::make_unique<Callbacks>();
    std::unique_ptr<detail::StageCallback> stage_ = std::make_unique<detail::StageCallback>();
    std::unique_ptr<std::atomic<int>> cancel_ = std::make_unique<std::atomic<int>>(0);
    std::unique_ptr<VidkompyAnalyzer, detail::FreeAnalyzer> handle_;
};

using ScoutResult = VidkompyScoutResult;
using ScoutSpan = VidkompyScoutSpan;

/// Where in a long bg fg can lie, for a host that can seek (see vidkompy_scout_new): send fg's
/// frames and a sparse sample of bg (its keyframes, each with its pts), then finish().
class Scout {
  public:
    explicit Scout(const Settings *settings = nullptr) {
        VidkompyScout *s = nullptr;
        VidkompyError err;
        detail::check(vidkompy_scout_new_ex(raw(settings), &s, &err), err);
        handle_.reset(s);
        check(vidkompy_scout_set_cancel_flag(handle_.get(), reinterpret_cast<const int *>(cancel_.get())));
    }

    /// Stops the scout, from any thread: the running or next send or finish throws Error with
    /// VIDKOMPY_ERROR_CANCELLED, and the scout is finished.
    void cancel() { cancel_->store(1, std::memory_order_relaxed); }

    void send(Stream s, const Frame &f) { check(vidkompy_scout_send(handle_.get(), static_cast<int>(s), &f.raw)); }
    void set_bg_extent(double start_seconds, double end_seconds) {
        check(vidkompy_scout_set_bg_extent(handle_.get(), start_seconds, end_seconds));
    }

    /// answer: VIDKOMPY_SCOUT_FOUND, _NEED_DENSER or _UNSURE (analyse all of bg); throws Error
    /// with VIDKOMPY_ERROR_NO_MATCH when no sample came near fg (a refusal the host may give).
    ScoutResult finish() {
        ScoutResult r{};
        check(vidkompy_scout_finish(handle_.get(), &r));
        return r;
    }

    /// Span `index` of a FOUND answer (0: most hits).
    ScoutSpan span(std::size_t index) {
        ScoutSpan out{};
        check(vidkompy_scout_span(handle_.get(), index, &out));
        return out;
    }

    /// The stretch of bg to decode densely after a FOUND answer.
    ScoutSpan window() {
        ScoutSpan out{};
        check(vidkompy_scout_window(handle_.get(), &out));
        return out;
    }

  private:
    int check(int status) { return detail::check(status, vidkompy_scout_last_error(handle_.get())); }
    std::unique_ptr<std::atomic<int>> cancel_ = std::make_unique<std::atomic<int>>(0);
    std::unique_ptr<VidkompyScout, detail::FreeScout> handle_;
};

/// Throws Error with VIDKOMPY_ERROR_NO_MATCH (saying why) unless an alignment made from a window
/// of bg alone saw all of fg (vidkompy_alignment_check_window): never keep a window's answer
/// without this check.
inline void check_window(const Alignment &alignment, bool bg_before, bool bg_after) {
    VidkompyError err;
    detail::check(vidkompy_alignment_check_window(alignment.get(), bg_before, bg_after, &err), err);
}

/// What Compositor::receive produced.
enum class Received { Frame, Again, Eof };

/// Pass 2: send what wants() names, receive composited frames.
class Compositor {
  public:
    explicit Compositor(const Alignment &alignment, const Settings *settings = nullptr) {
        VidkompyCompositor *c = nullptr;
        VidkompyError err;
        detail::check(vidkompy_compositor_new_ex(alignment.get(), raw(settings), &c, &err), err);
        handle_.reset(c);
    }

    /// Sends a frame (nullptr ends the stream). Returns false for AGAIN: receive first, then
    /// send the same frame again.
    bool send(Stream s, const Frame *f) {
        return check(vidkompy_compositor_send(handle_.get(), static_cast<int>(s), f != nullptr ? &f->raw : nullptr)) ==
               VIDKOMPY_OK;
    }

    /// The next composited frame into `out` (library-owned, valid until the next call).
    Received receive(Frame &out) { return received(vidkompy_compositor_receive(handle_.get(), &out.raw)); }

    /// Composites straight into the host's frame `dst` (bg's format and size).
    Received receive_into(Frame &dst) { return received(vidkompy_compositor_receive_into(handle_.get(), &dst.raw)); }

    /// The stream receive needs next, or false when it can produce output or is done.
    bool wants(Stream &s) const {
        int w = vidkompy_compositor_wants(handle_.get());
        if (w == VIDKOMPY_STREAM_NONE) return false;
        s = static_cast<Stream>(w);
        return true;
    }

    /// The first bg frame needed: a host that can seek starts bg there.
    std::size_t first_bg(int64_t *pts = nullptr) {
        std::size_t index = 0;
        check(vidkompy_compositor_first_bg(handle_.get(), &index, pts));
        return index;
    }

    void start_bg_at(std::size_t index) { check(vidkompy_compositor_start_bg_at(handle_.get(), index)); }

    /// Whether bg must be sought back before the compositor goes on (fg's shots in another
    /// order than bg's): true with the bg frame to seek to in `index` (its pts in `*pts`,
    /// INT64_MIN when unknown) when the next fg frame starts a leg of the map that goes back.
    /// Seek the decoder to the keyframe at or before it, call seek_bg, send bg from there; a
    /// bg frame sent forward instead is an Error (BAD_STATE). See vidkompy_compositor_bg_rewind.
    bool bg_rewind(std::size_t &index, int64_t *pts = nullptr) {
        return check(vidkompy_compositor_bg_rewind(handle_.get(), &index, pts)) == 1;
    }

    /// Declares that bg was sought back: the next bg frame sent is bg frame `index`.
    void seek_bg(std::size_t index) { check(vidkompy_compositor_seek_bg(handle_.get(), index)); }

    PassStats stats() {
        PassStats s{};
        check(vidkompy_compositor_stats(handle_.get(), &s));
        return s;
    }

  private:
    Received received(int status) {
        check(status);
        return status == VIDKOMPY_OK ? Received::Frame : status == VIDKOMPY_EOF ? Received::Eof : Received::Again;
    }
    int check(int status) { return detail::check(status, vidkompy_compositor_last_error(handle_.get())); }
    std::unique_ptr<VidkompyCompositor, detail::FreeCompositor> handle_;
};

/// The live session (one pass): send frames as they arrive, receive each fg frame composited
/// onto its bg frame `live_lag` fg frames later (see vidkompy_live_new). NO_MATCH is thrown as
/// Error when fg's start is not found within its window of bg.
class Live {
  public:
    explicit Live(const Settings *settings = nullptr) {
        VidkompyLive *l = nullptr;
        VidkompyError err;
        detail::check(vidkompy_live_new_ex(raw(settings), &l, &err), err);
        handle_.reset(l);
        check(vidkompy_live_set_cancel_flag(handle_.get(), reinterpret_cast<const int *>(cancel_.get())));
    }

    /// Stops the session, from any thread: the running or next send throws Error with
    /// VIDKOMPY_ERROR_CANCELLED (a start search under way stops promptly), and the session is
    /// finished.
    void cancel() { cancel_->store(1, std::memory_order_relaxed); }

    /// Uses this placement instead of searching for it (before the first frame).
    void set_placement(const Placement &p) { check(vidkompy_live_set_placement(handle_.get(), &p)); }
    /// The host scouted bg and sends it from the keyframe before fg's span (vidkompy_live_set_scouted).
    void set_scouted(bool scouted) { check(vidkompy_live_set_scouted(handle_.get(), scouted ? 1 : 0)); }

    /// Sends a frame (nullptr ends the stream). Returns false for AGAIN: receive first, then
    /// send the same frame again.
    bool send(Stream s, const Frame *f) {
        return check(vidkompy_live_send(handle_.get(), static_cast<int>(s), f != nullptr ? &f->raw : nullptr)) ==
               VIDKOMPY_OK;
    }

    /// The next composited frame into `out` (library-owned, valid until the next call).
    Received receive(Frame &out) {
        int status = check(vidkompy_live_receive(handle_.get(), &out.raw));
        return status == VIDKOMPY_OK ? Received::Frame : status == VIDKOMPY_EOF ? Received::Eof : Received::Again;
    }

    /// The next composite written straight into `dst` (bg's format and size; zero copy).
    Received receive_into(Frame &dst) {
        int status = check(vidkompy_live_receive_into(handle_.get(), &dst.raw));
        return status == VIDKOMPY_OK ? Received::Frame : status == VIDKOMPY_EOF ? Received::Eof : Received::Again;
    }

    /// The stream receive needs next, or false when it can produce output or is done.
    bool wants(Stream &s) const {
        int w = vidkompy_live_wants(handle_.get());
        if (w == VIDKOMPY_STREAM_NONE) return false;
        s = static_cast<Stream>(w);
        return true;
    }

    /// The bg frame under the last frame received, and whether it was outside bg.
    int64_t last_bg_index(bool *outside = nullptr) {
        int64_t bg = 0;
        int out = 0;
        check(vidkompy_live_last_frame(handle_.get(), nullptr, &bg, &out));
        if (outside != nullptr) *outside = out != 0;
        return bg;
    }

    /// Bytes of frames held now.
    std::size_t held_bytes() const { return vidkompy_live_held_bytes(handle_.get()); }

    /// bg's time at fg's first frame (seconds), once locked; false before.
    bool offset_seconds(double &seconds) {
        return check(vidkompy_live_offset_seconds(handle_.get(), &seconds)) == VIDKOMPY_OK;
    }

    /// The placement found (or set), once locked; false before.
    bool placement(Placement &p) { return check(vidkompy_live_placement(handle_.get(), &p)) == VIDKOMPY_OK; }

    /// The stage callback (stage VIDKOMPY_STAGE_*, share done 0..1): each start analysis as
    /// VIDKOMPY_STAGE_LIVE_START (0 before, 1 after) and the analyzer's stages inside it; an
    /// empty function clears it. An exception it throws is rethrown by the call that ran it.
    void set_stage_callback(std::function<void(int stage, double done)> told) {
        stage_->fn = std::move(told);
        check(vidkompy_live_set_stage_callback(handle_.get(), stage_->trampoline(), stage_.get()));
    }

  private:
    int check(int status) {
        stage_->rethrow();
        return detail::check(status, vidkompy_live_last_error(handle_.get()));
    }
    std::unique_ptr<detail::StageCallback> stage_ = std::make_unique<detail::StageCallback>();
    std::unique_ptr<std::atomic<int>> cancel_ = std::make_unique<std::atomic<int>>(0);
    std::unique_ptr<VidkompyLive, detail::FreeLive> handle_;
};

/// The run-time library version, (MAJOR << 16) | (MINOR << 8) | PATCH, and as text.
inline std::uint32_t version() { return vidkompy_version(); }
inline std::string version_string() { return vidkompy_version_string(); }

/// Where fg's content sits in bg, from sample frames of each.
inline Placement locate(const std::vector<Frame> &fg, const std::vector<Frame> &bg, const Settings *settings = nullptr) {
    std::vector<VidkompyFrame> f, b;
    for (const Frame &x : fg) f.push_back(x.raw);
    for (const Frame &x : bg) b.push_back(x.raw);
    Placement p{};
    VidkompyError err;
    detail::check(vidkompy_locate_ex(raw(settings), f.data(), f.size(), b.data(), b.size(), &p, &err), err);
    return p;
}

/// Random access: fg frame `i` onto its bg frame (Alignment::bg_index(i)), into `dst`. No
/// state: any order, any number of threads.
inline void composite(const Alignment &alignment, std::size_t i, const Frame &fg, const Frame &bg, Frame &dst,
                      const Settings *settings = nullptr) {
    VidkompyError err;
    detail::check(vidkompy_composite(alignment.get(), raw(settings), i, &fg.raw, &bg.raw, &dst.raw, &err), err);
}

} // namespace vidkompy

#endif
