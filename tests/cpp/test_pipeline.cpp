// The whole pipeline through include/vidkompy.hpp: analyzer, alignment (JSON round trip,
// queries), compositor, random access, locate, and errors as exceptions with their status.
#include "vidkompy.hpp"

#include "../c/check.h"
#include "../c/scene.h"

#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

static vidkompy::Frame frame_of(VidkompyFrame f) { return vidkompy::Frame(f); }

/* Under valgrind (VIDKOMPY_C_TEST_SHORT set by CI), where the placement search costs minutes
 * (faer's fused multiply-adds are emulated lane by lane), the analyzer is given the true
 * placement; the unwrapped run searches it. */
static bool short_run() { return std::getenv("VIDKOMPY_C_TEST_SHORT") != nullptr; }

static vidkompy::Alignment analyze() {
    vidkompy::Settings settings;
    settings.set("min_confidence", "0.5");
    vidkompy::Analyzer analyzer(&settings);
    if (short_run()) analyzer.set_placement(scene_placement());
    for (int j = 0; j < BG_FRAMES; j++) {
        analyzer.push(vidkompy::Stream::Bg, frame_of(bg_frame(j)));
        if (j >= OFFSET && j - OFFSET < FG_FRAMES) analyzer.push(vidkompy::Stream::Fg, frame_of(fg_frame(j - OFFSET)));
    }
    return analyzer.finish();
}

static void errors_are_exceptions() {
    int status = 0;
    std::string message;
    try {
        vidkompy::Alignment::from_json("{\"format_version\": 9}");
    } catch (const vidkompy::Error &e) {
        status = e.status();
        message = e.what();
    }
    CHECK(status == VIDKOMPY_ERROR_INVALID_DATA);
    CHECK(message.find("version 9") != std::string::npos);
    try {
        vidkompy::Settings s;
        s.set("no_such_key", "1");
        CHECK(false);
    } catch (const vidkompy::Error &e) {
        CHECK(e.status() == VIDKOMPY_ERROR_INVALID_ARGUMENT && std::string(e.what()).find("no_such_key") != std::string::npos);
    }
    /* A frame built from plane pointers and strides, with a stride shorter than a row. */
    vidkompy::Frame bad(VIDKOMPY_PIXEL_FORMAT_GRAY8, 16, 4, {fg_frames[0].y}, {8});
    try {
        bad.validate();
        CHECK(false);
    } catch (const vidkompy::Error &e) {
        CHECK(e.status() == VIDKOMPY_ERROR_INVALID_FRAME);
    }
}

/* fg's second half first (an edit that goes back in bg): the map is written into the analysed
 * alignment's JSON; the compositor asks for bg to be sought back once, a bg frame sent forward
 * there is refused, and every output equals random access. */
static void shots_in_another_order(const vidkompy::Alignment &analysed) {
    enum { HALF = FG_FRAMES / 2 };
    std::string json = analysed.to_json();
    std::size_t from = json.find("\"map\": [") + 8, to = json.find(']', from);
    std::string map;
    std::vector<std::size_t> truth;
    for (int i = 0; i < FG_FRAMES; i++) {
        truth.push_back(i < HALF ? OFFSET + HALF + i : OFFSET + i - HALF);
        map += (i ? ", " : "") + std::to_string(truth.back());
    }
    vidkompy::Alignment edited = vidkompy::Alignment::from_json(json.substr(0, from) + map + json.substr(to));
    CHECK(edited.bg_index(0) == OFFSET + HALF && edited.bg_index(HALF) == OFFSET);
    vidkompy::Compositor compositor(edited);
    std::size_t back = 0;
    CHECK(!compositor.bg_rewind(back));
    std::size_t fg_next = 0, bg_next = compositor.first_bg(), rewinds = 0, written = 0;
    bool equal = true, refused_forward = false;
    static uint8_t y[BW * BH], u[BW * BH / 4], v[BW * BH / 4];
    vidkompy::Frame out, dst = frame_of(i420(y, u, v, BW, BH, 0));
    for (vidkompy::Received r; (r = compositor.receive(out)) != vidkompy::Received::Eof;) {
        if (r == vidkompy::Received::Frame) {
            vidkompy::composite(edited, written, frame_of(fg_frame((int)written)), frame_of(bg_frame((int)truth[written])), dst);
            for (int row = 0; row < BH; row++) equal &= std::memcmp(y + row * BW, out.plane(0) + row * out.stride(0), BW) == 0;
            written++;
            continue;
        }
        vidkompy::Stream s;
        CHECK(compositor.wants(s));
        if (s == vidkompy::Stream::Bg && compositor.bg_rewind(back)) {
            CHECK(back == OFFSET);
            if (!refused_forward) {
                vidkompy::Frame forward = frame_of(bg_frame((int)bg_next));
                try {
                    compositor.send(s, &forward);
                } catch (const vidkompy::Error &e) {
                    refused_forward = e.status() == VIDKOMPY_ERROR_BAD_STATE;
                }
            }
            compositor.seek_bg(back);
            bg_next = back;
            rewinds++;
        }
        vidkompy::Frame next = s == vidkompy::Stream::Fg ? frame_of(fg_frame((int)fg_next++)) : frame_of(bg_frame((int)bg_next++));
        compositor.send(s, &next);
    }
    CHECK(written == FG_FRAMES && rewinds == 1 && refused_forward && equal);
}

/* The scout through the wrapper: every fg frame and every fifth bg frame (as keyframes): the
 * span holds fg's instants, the window alone analysed passes check_window, and errors are
 * exceptions with their status. */
static void scout() {
    vidkompy::Scout scout;
    for (int i = 0; i < FG_FRAMES; i++) scout.send(vidkompy::Stream::Fg, frame_of(fg_frame(i)));
    for (int j = 0; j < BG_FRAMES; j += 5) scout.send(vidkompy::Stream::Bg, frame_of(bg_frame(j)));
    scout.set_bg_extent(0.0, BG_FRAMES / 25.0);
    vidkompy::ScoutResult r = scout.finish();
    CHECK(r.answer == VIDKOMPY_SCOUT_FOUND && r.span_count >= 1);
    vidkompy::ScoutSpan span = scout.span(0), window = scout.window();
    CHECK(span.start_seconds <= OFFSET / 25.0 && span.end_seconds >= (OFFSET + FG_FRAMES) / 25.0);
    CHECK(window.start_seconds <= span.start_seconds && window.end_seconds >= span.end_seconds);
    int status = 0;
    try {
        scout.span(r.span_count);
    } catch (const vidkompy::Error &e) {
        status = e.status();
    }
    CHECK(status == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    /* bg from the window's first frame: the analyzer numbers from there. */
    int first = window.start_seconds > 0 ? (int)(window.start_seconds * 25) : 0;
    int last = window.end_seconds * 25 < BG_FRAMES ? (int)(window.end_seconds * 25) : BG_FRAMES - 1;
    vidkompy::Settings settings;
    settings.set("min_confidence", "0.5");
    vidkompy::Analyzer analyzer(&settings);
    if (short_run()) analyzer.set_placement(scene_placement());
    for (int j = first; j <= last; j++) analyzer.push(vidkompy::Stream::Bg, frame_of(bg_frame(j)));
    for (int i = 0; i < FG_FRAMES; i++) analyzer.push(vidkompy::Stream::Fg, frame_of(fg_frame(i)));
    vidkompy::Alignment windowed = analyzer.finish();
    vidkompy::check_window(windowed, first > 0, last + 1 < BG_FRAMES);
    CHECK(windowed.bg_index(0) + first == OFFSET);
}

/* The frame provider and the callbacks: progress for every frame, the provider asked for the
 * frames of the full-size check; an exception in a callback is rethrown by the call that ran it,
 * never unwound through C. */
static void callbacks_and_a_frame_provider() {
    vidkompy::Settings settings;
    settings.set("min_confidence", "0.5");
    int asked = 0, progressed = 0, logged = 0;
    auto push_all = [](vidkompy::Analyzer &analyzer) {
        for (int j = 0; j < BG_FRAMES; j++) {
            analyzer.push(vidkompy::Stream::Bg, frame_of(bg_frame(j)));
            if (j >= OFFSET && j - OFFSET < FG_FRAMES) analyzer.push(vidkompy::Stream::Fg, frame_of(fg_frame(j - OFFSET)));
        }
    };
    vidkompy::Analyzer analyzer(&settings);
    if (short_run()) analyzer.set_placement(scene_placement());
    analyzer.set_frame_provider([&](vidkompy::Stream s, std::int64_t index, VidkompyFrame &frame) {
        asked++;
        frame = s == vidkompy::Stream::Fg ? fg_frame((int)index) : bg_frame((int)index);
        return true;
    });
    analyzer.set_callbacks([&](int, const char *) { logged++; }, [&](std::size_t, std::size_t) { progressed++; });
    int time_map_told = 0;
    analyzer.set_stage_callback([&](int stage, double) { time_map_told += stage == VIDKOMPY_STAGE_TIME_MAP; });
    vidkompy::Analyzer moved = std::move(analyzer); /* the callbacks go with it */
    push_all(moved);
    vidkompy::Alignment alignment = moved.finish();
    CHECK(alignment.bg_index(0) == OFFSET && progressed == FG_FRAMES + BG_FRAMES);
    CHECK(time_map_told == 2); /* as it started and as it ended */
    /* Times in a timeline's time base (1/90000: a 25 fps frame is 3600 units). */
    CHECK(alignment.fg_index_at(5 * 3600 + 3599, 1, 90000) == 5);
    CHECK(alignment.bg_time(5, 1, 90000) == (5 + OFFSET) * 3600);
    /* The media record: the same first bg frame and count, then another picture. */
    CHECK(alignment.media_matches(vidkompy::Stream::Bg, frame_of(bg_frame(0)), BG_FRAMES));
    CHECK(!alignment.media_matches(vidkompy::Stream::Bg, frame_of(bg_frame(40)), BG_FRAMES));
    CHECK(short_run() || (asked >= 3 && logged > 0));

    vidkompy::Analyzer stopped(&settings);
    stopped.set_callbacks(nullptr, [](std::size_t, std::size_t) { throw std::runtime_error("stop"); });
    bool rethrown = false;
    try {
        stopped.push(vidkompy::Stream::Bg, frame_of(bg_frame(0)));
    } catch (const std::runtime_error &e) {
        rethrown = std::string(e.what()) == "stop";
    }
    CHECK(rethrown);
    stopped.set_callbacks(nullptr, nullptr);
    stopped.push(vidkompy::Stream::Bg, frame_of(bg_frame(1)));

    /* cancel() from a progress callback: the next push throws CANCELLED, then BAD_STATE. */
    vidkompy::Analyzer cancelled(&settings);
    cancelled.set_callbacks(nullptr, [&cancelled](std::size_t, std::size_t bg) {
        if (bg == 5) cancelled.cancel();
    });
    int status = 0, taken = 0;
    for (int j = 0; j < BG_FRAMES && status == 0; j++) {
        try {
            cancelled.push(vidkompy::Stream::Bg, frame_of(bg_frame(j)));
            taken++;
        } catch (const vidkompy::Error &e) {
            status = e.status();
        }
    }
    CHECK(status == VIDKOMPY_ERROR_CANCELLED && taken == 5);

    if (short_run()) return; /* the provider is called by the placement's full-size check */
    vidkompy::Analyzer broken(&settings);
    broken.set_frame_provider([](vidkompy::Stream, std::int64_t, VidkompyFrame &) -> bool {
        throw std::runtime_error("the decoder went away");
    });
    push_all(broken);
    rethrown = false;
    try {
        broken.finish();
    } catch (const std::runtime_error &e) {
        rethrown = std::string(e.what()) == "the decoder went away";
    }
    CHECK(rethrown);

    /* With the decode cost (fg from one keyframe: frame i costs i): the check asks for no fg
     * frame but the keyframe; an exception in the cost is rethrown by the call that ran it. */
    vidkompy::Analyzer costed(&settings);
    int fg_past_keyframe = 0;
    costed.set_frame_provider(
        [&](vidkompy::Stream s, std::int64_t index, VidkompyFrame &frame) {
            fg_past_keyframe += s == vidkompy::Stream::Fg && index > 0;
            frame = s == vidkompy::Stream::Fg ? fg_frame((int)index) : bg_frame((int)index);
            return true;
        },
        [](vidkompy::Stream s, std::int64_t index) -> std::int64_t { return s == vidkompy::Stream::Fg ? index : 0; });
    push_all(costed);
    CHECK(costed.finish().bg_index(0) == OFFSET && fg_past_keyframe == 0);
    vidkompy::Analyzer costly(&settings);
    costly.set_frame_provider([](vidkompy::Stream, std::int64_t, VidkompyFrame &) { return false; },
                              [](vidkompy::Stream, std::int64_t) -> std::int64_t { throw std::runtime_error("no index"); });
    rethrown = false;
    try {
        push_all(costly);
    } catch (const std::runtime_error &e) {
        rethrown = std::string(e.what()) == "no index";
    }
    CHECK(rethrown);
}

int main() {
    make_frames();
    callbacks_and_a_frame_provider();
    vidkompy::Alignment alignment = analyze();
    vidkompy::Placement p = alignment.placement();
    CHECK(p.x == FX && p.y == FY && p.width == FW && p.height == FH);
    CHECK(alignment.fg_frames() == FG_FRAMES && alignment.bg_index(3) == 3 + OFFSET);
    CHECK(alignment.bg_pts(3) == 3 + OFFSET && alignment.outside_frames().empty());
    CHECK(alignment.stream_info(vidkompy::Stream::Bg).width == BW);
    CHECK(!alignment.placement_approximate());
    CHECK(vidkompy::version() >> 16 == 0 && vidkompy::version_string().rfind("0.", 0) == 0);

    vidkompy::Alignment copy = vidkompy::Alignment::from_json(alignment.to_json());
    CHECK(copy.bg_index(0) == OFFSET);

    // Pass 2, then random access of every frame: the same bytes.
    vidkompy::Compositor compositor(copy);
    std::vector<std::vector<uint8_t>> lumas;
    int fg_next = 0, bg_next = 0;
    vidkompy::Frame out;
    for (vidkompy::Received r; (r = compositor.receive(out)) != vidkompy::Received::Eof;) {
        if (r == vidkompy::Received::Frame) {
            std::vector<uint8_t> y(BW * BH);
            for (int row = 0; row < BH; row++) std::memcpy(&y[row * BW], out.plane(0) + row * out.stride(0), BW);
            lumas.push_back(y);
            continue;
        }
        vidkompy::Stream s;
        CHECK(compositor.wants(s));
        vidkompy::Frame next = s == vidkompy::Stream::Fg ? frame_of(fg_frame(fg_next++)) : frame_of(bg_frame(bg_next++));
        compositor.send(s, &next);
    }
    CHECK(lumas.size() == FG_FRAMES);
    static uint8_t y[BW * BH], u[BW * BH / 4], v[BW * BH / 4];
    vidkompy::Frame dst = frame_of(i420(y, u, v, BW, BH, 0));
    int equal = 1;
    for (std::size_t i = FG_FRAMES; i-- > 0;) {
        vidkompy::composite(copy, i, frame_of(fg_frame((int)i)), frame_of(bg_frame((int)copy.bg_index(i))), dst);
        equal &= std::memcmp(y, lumas[i].data(), sizeof y) == 0;
    }
    CHECK(equal);

    std::vector<vidkompy::Frame> fg{frame_of(fg_frame(0))}, bg{frame_of(bg_frame(OFFSET))};
    if (!short_run()) {
        vidkompy::Placement located = vidkompy::locate(fg, bg);
        CHECK(located.x == FX && located.y == FY);
    }

    // The live session: the offline map, frame by frame; NO_MATCH as an exception.
    vidkompy::Settings live_settings;
    live_settings.set("live_lag", "8");
    live_settings.set("band", "8");
    vidkompy::Live live(&live_settings);
    if (short_run()) live.set_placement(scene_placement());
    int starts_told = 0;
    live.set_stage_callback([&](int stage, double) { starts_told += stage == VIDKOMPY_STAGE_LIVE_START; });
    int live_out = 0, live_wrong = 0;
    fg_next = bg_next = 0;
    for (vidkompy::Received r; (r = live.receive(out)) != vidkompy::Received::Eof;) {
        if (r == vidkompy::Received::Frame) {
            bool outside = true;
            live_wrong += live.last_bg_index(&outside) != (int64_t)copy.bg_index(live_out) || outside;
            live_out++;
            continue;
        }
        vidkompy::Stream s;
        CHECK(live.wants(s));
        bool fg_stream = s == vidkompy::Stream::Fg;
        int &next_index = fg_stream ? fg_next : bg_next;
        if (next_index >= (fg_stream ? FG_FRAMES : BG_FRAMES)) {
            live.send(s, nullptr);
            continue;
        }
        vidkompy::Frame next = fg_stream ? frame_of(fg_frame(next_index)) : frame_of(bg_frame(next_index));
        if (live.send(s, &next)) next_index++;
    }
    CHECK(starts_told >= 2 && starts_told % 2 == 0); /* each start analysis begun and ended */
    CHECK(live_out == FG_FRAMES && live_wrong == 0);
    CHECK(live.held_bytes() > 0);
    vidkompy::Placement live_placement{};
    CHECK(live.placement(live_placement) && live_placement.x == FX && live_placement.y == FY);
    double live_offset = -1.0;
    CHECK(live.offset_seconds(live_offset));
    CHECK(live_offset > copy.offset_seconds() - 0.004 && live_offset < copy.offset_seconds() + 0.004);

    shots_in_another_order(alignment);
    scout();
    errors_are_exceptions();
    return finish("test_pipeline (C++)");
}
