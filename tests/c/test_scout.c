/* The scout from C, written from the header alone, driving a seekable source as a host reading
 * a file would: bg is a 60 s programme (25 fps) decoded through a simulated decoder with
 * keyframes every GOP frames (a seek lands on the keyframe at or before the time asked, and
 * every frame decoded is counted). The host sends fg's frames and bg's keyframes only, asks
 * the scout where fg can lie, seeks to its window and decodes bg densely only there, for the
 * analyzer, and checks that the window held fg: every fg frame must land on its true bg frame,
 * decoding a fraction of bg; a window that cuts fg's start or end off is refused by the check
 * (the analyzer alone answers it, wrongly). With a
 * 10 s GOP around a 2 s fg the scout asks for a denser sample, which then finds fg; fg from
 * another programme is refused with NO_MATCH, fg half covered by another programme's picture
 * is UNSURE; calls out of order are refused. The answer is the same on one thread and on
 * three. */
#include "check.h"
#include "frames.h"
#include "vidkompy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BW = 192, BH = 108, FW = 96, FH = 54, FX = 40, FY = 22, BG_FRAMES = 1500, FPS = 25 };

/* Smooth value noise: hashed lattice values every 6 pixels, bilinear between; no repeats. */
static double lattice(uint32_t seed, int ix, int iy) {
    uint32_t h = seed * 0x9E3779B1u ^ (uint32_t)ix * 0x85EBCA77u ^ (uint32_t)iy * 0xC2B2AE3Du;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return (double)(h & 0xFF);
}

static uint8_t world(uint32_t seed, double x, double y) {
    double gx = x / 6.0, gy = y / 6.0;
    int ix = (int)gx, iy = (int)gy;
    double fx = gx - ix, fy = gy - iy;
    double top = lattice(seed, ix, iy) * (1 - fx) + lattice(seed, ix + 1, iy) * fx;
    double bottom = lattice(seed, ix, iy + 1) * (1 - fx) + lattice(seed, ix + 1, iy + 1) * fx;
    double v = top * (1 - fy) + bottom * fy;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
}

/* bg frame t of programme `seed`: the world panning 2 px right and 0.5 px down a frame, and a
 * bright bar that jumps across the view to a new place each frame (a pan alone, or a bar
 * moving steadily, would let a later frame at another place pass for fg). */
static void render_bg(uint32_t seed, int t, uint8_t *out) {
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) {
            int bar = ((x + y / 2 - t * t) % 97 + 97) % 97;
            int v = world(seed, x + 2.0 * t, y + 0.5 * t + 200.0) + (bar < 8 ? 60 : 0);
            out[y * BW + x] = (uint8_t)(v > 255 ? 255 : v);
        }
}

/* A Gray8 frame of the scene (FPS is frames.h's 25). */
static VidkompyFrame gray(uint8_t *pixels, int w, int h, int64_t pts) { return gray8_frame(pixels, w, h, w, pts); }

/* A seekable bg, as a decoder over a file with a keyframe every `gop` frames. */
typedef struct {
    int gop, next, decoded;
    uint8_t picture[BW * BH];
} Source;

static void source_seek(Source *s, double seconds) {
    int j = (int)(seconds * FPS);
    if (j < 0) j = 0;
    if (j >= BG_FRAMES) j = BG_FRAMES - 1;
    s->next = j - j % s->gop;
}

/* Decodes the next frame without looking at it (a host sampling every Nth frame still decodes
 * the others; its pixels are not needed here, so they are not drawn). 0 at the end. */
static int source_skip(Source *s) {
    if (s->next >= BG_FRAMES) return 0;
    s->decoded++;
    s->next++;
    return 1;
}

/* The next frame in decoding order; 0 at the end. */
static int source_next(Source *s, VidkompyFrame *out) {
    if (s->next >= BG_FRAMES) return 0;
    render_bg(1, s->next, s->picture);
    s->decoded++;
    *out = gray(s->picture, BW, BH, s->next);
    s->next++;
    return 1;
}

/* fg: frames first..first+count of programme `seed`, cropped at (FX, FY) and re-graded. */
enum { MAX_FG = 100 };
static uint8_t fg_pixels[MAX_FG][FW * FH];

static void make_fg(uint32_t seed, int first, int count) {
    static uint8_t picture[BW * BH];
    for (int i = 0; i < count; i++) {
        render_bg(seed, first + i, picture);
        for (int y = 0; y < FH; y++)
            for (int x = 0; x < FW; x++) {
                double v = (picture[(y + FY) * BW + x + FX] - 16.0) * 1.1 + 24.0;
                fg_pixels[i][y * FW + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
}

static void send_fg(VidkompyScout *sc, int count) {
    for (int i = 0; i < count; i++) {
        VidkompyFrame f = gray(fg_pixels[i], FW, FH, i);
        CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
    }
}

/* Sends bg's keyframes (a host decodes only those: FFmpeg's skip_frame). */
static void send_keyframes(VidkompyScout *sc, Source *s) {
    static uint8_t picture[BW * BH];
    for (int j = 0; j < BG_FRAMES; j += s->gop) {
        render_bg(1, j, picture);
        s->decoded++;
        VidkompyFrame f = gray(picture, BW, BH, j);
        CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
}

/* Decodes bg from the keyframe at or before `start` to the last frame at or before `end`
 * into an analyzer with fg's `count` frames, as a host does with the scout's window; NULL
 * when the analyzer refuses. `*landed`: the first bg frame decoded; `*before`, `*after`:
 * whether bg has frames outside the window (what vidkompy_alignment_check_window asks). */
static VidkompyAlignment *analyse_window(Source *s, double start, double end, int count, int *landed, int *before,
                                         int *after) {
    VidkompyAnalyzer *an = NULL;
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    for (int i = 0; i < count; i++) {
        VidkompyFrame f = gray(fg_pixels[i], FW, FH, i);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
    }
    source_seek(s, start);
    *landed = s->next;
    VidkompyFrame f;
    while (source_next(s, &f)) {
        if ((double)f.pts / FPS > end) break;
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
    *before = *landed > 0;
    *after = s->next < BG_FRAMES;
    VidkompyAlignment *a = NULL;
    if (vidkompy_analyzer_finish(an, &a) != VIDKOMPY_OK) a = NULL;
    vidkompy_analyzer_free(&an);
    return a;
}

/* The dense pass over the scout's window: the window holds fg, every fg frame lands on bg
 * frame `first + i`, and the placement is exact. */
static void dense_pass(Source *s, const VidkompyScoutSpan *window, int first, int count) {
    int landed = 0, before = 0, after = 0;
    VidkompyAlignment *a = analyse_window(s, window->start_seconds, window->end_seconds, count, &landed, &before, &after);
    CHECK(a != NULL);
    VidkompyError err;
    int held = vidkompy_alignment_check_window(a, before, after, &err);
    if (held != VIDKOMPY_OK) fprintf(stderr, "check_window: %s\n", err.message);
    CHECK(held == VIDKOMPY_OK && err.status == VIDKOMPY_OK);
    int exact = 0;
    for (int i = 0; a && i < count; i++) {
        uint32_t j = 0;
        int outside = 1;
        CHECK(vidkompy_alignment_bg_index(a, (size_t)i, &j, &outside) == VIDKOMPY_OK);
        exact += !outside && (int)j + landed == first + i;
    }
    if (exact != count) fprintf(stderr, "dense pass: %d of %d exact\n", exact, count);
    CHECK(exact == count);
    VidkompyPlacement p;
    CHECK(a && vidkompy_alignment_placement(a, &p) == VIDKOMPY_OK && p.x == FX && p.y == FY);
    vidkompy_alignment_free(&a);
}

/* A window that cuts fg off (starting after fg's first frames, or ending before its last)
 * must not be kept: either the analyzer refuses it or vidkompy_alignment_check_window does,
 * naming why. */
static void a_window_that_cuts_fg_is_not_kept(void) {
    enum { FIRST = 1100, COUNT = 75 };
    make_fg(1, FIRST, COUNT);
    static Source s;
    s.gop = 1;
    const double fg_start = (double)FIRST / FPS, fg_end = (double)(FIRST + COUNT - 1) / FPS;
    const double cut[2][2] = {{fg_start + 0.6, fg_start + 6.0}, {fg_start - 4.0, fg_end - 0.6}};
    int checked = 0;
    for (int k = 0; k < 2; k++) {
        int landed = 0, before = 0, after = 0;
        VidkompyAlignment *a = analyse_window(&s, cut[k][0], cut[k][1], COUNT, &landed, &before, &after);
        CHECK(before && after);
        if (a == NULL) continue; /* refused by the analyzer: nothing wrong was kept */
        VidkompyError err;
        CHECK(vidkompy_alignment_check_window(a, before, after, &err) == VIDKOMPY_ERROR_NO_MATCH);
        CHECK(err.status == VIDKOMPY_ERROR_NO_MATCH && strstr(err.message, "window") != NULL);
        printf("a window cutting fg's %s: %s\n", k == 0 ? "start" : "end", err.message);
        /* Had the window been all of bg, its ends would be bg's own, but 15 fg frames matched
         * nothing: they may lie elsewhere in bg, so it is still not verified. */
        CHECK(vidkompy_alignment_check_window(a, 0, 0, &err) == VIDKOMPY_ERROR_NO_MATCH);
        CHECK(strstr(err.message, "match nothing") != NULL);
        vidkompy_alignment_free(&a);
        checked++;
    }
    /* On this scene the analyzer answers both windows: the check is what refuses them. */
    CHECK(checked == 2);
    CHECK(vidkompy_alignment_check_window(NULL, 0, 0, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
}

static void found_from_keyframes(void) {
    enum { FIRST = 1100, COUNT = 75 };
    make_fg(1, FIRST, COUNT);
    static Source s;
    s.gop = 50;
    VidkompyScout *sc = NULL;
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    send_fg(sc, COUNT);
    send_keyframes(sc, &s);
    VidkompyScoutResult r;
    CHECK(vidkompy_scout_finish(sc, &r) == VIDKOMPY_OK);
    CHECK(r.answer == VIDKOMPY_SCOUT_FOUND && r.span_count >= 1);
    CHECK(r.bg_samples == BG_FRAMES / 50 && r.fg_frames == COUNT);
    CHECK(r.placement.x >= FX - 1 && r.placement.x <= FX + 1 && r.placement.y >= FY - 1 && r.placement.y <= FY + 1);
    VidkompyScoutSpan span, window;
    CHECK(vidkompy_scout_span(sc, 0, &span) == VIDKOMPY_OK);
    /* One span: the window is that span. */
    CHECK(vidkompy_scout_window(sc, &window) == VIDKOMPY_OK);
    CHECK(r.span_count > 1 || (window.start_seconds == span.start_seconds && window.end_seconds == span.end_seconds));
    CHECK(window.start_seconds <= span.start_seconds && window.end_seconds >= span.end_seconds);
    double start = (double)FIRST / FPS, end = (double)(FIRST + COUNT) / FPS;
    CHECK(span.start_seconds <= start && span.end_seconds >= end);
    CHECK(span.end_seconds - span.start_seconds < 15.0);
    CHECK(span.hits >= 1 && span.best_score >= 0.9);
    CHECK(vidkompy_scout_span(sc, r.span_count, &span) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    VidkompyFrame f = gray(fg_pixels[0], FW, FH, 1000);
    CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_ERROR_BAD_STATE);
    /* Asked again: the same answer. */
    VidkompyScoutResult again;
    CHECK(vidkompy_scout_finish(sc, &again) == VIDKOMPY_OK && again.span_count == r.span_count);
    CHECK(vidkompy_scout_span(sc, 0, &span) == VIDKOMPY_OK);
    vidkompy_scout_free(&sc);
    CHECK(sc == NULL);
    dense_pass(&s, &window, FIRST, COUNT);
    printf("keyframes every 2 s: fg at %.1f-%.1f s in window %.1f-%.1f s; %d of %d bg frames decoded\n", start, end,
           window.start_seconds, window.end_seconds, s.decoded, BG_FRAMES);
    CHECK(s.decoded < BG_FRAMES / 3);
}

static void sparse_keyframes_ask_for_a_denser_sample(void) {
    /* 45.2-47.2 s, keyframes at 40 and 50 s: the pan has moved fg's content out of view in both. */
    enum { FIRST = 1130, COUNT = 50 };
    make_fg(1, FIRST, COUNT);
    static Source s;
    s.gop = 250;
    VidkompyScout *sc = NULL;
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    send_fg(sc, COUNT);
    send_keyframes(sc, &s);
    VidkompyScoutResult r;
    CHECK(vidkompy_scout_finish(sc, &r) == VIDKOMPY_OK);
    CHECK(r.answer == VIDKOMPY_SCOUT_NEED_DENSER && r.span_count == 0);
    CHECK(r.every_seconds > 0.4 && r.every_seconds <= 0.5 && r.largest_gap_seconds == 10.0);
    VidkompyScoutSpan span;
    CHECK(vidkompy_scout_span(sc, 0, &span) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(vidkompy_scout_window(sc, &span) == VIDKOMPY_ERROR_BAD_STATE);
    vidkompy_scout_free(&sc);
    /* The denser sample: every frame decoded, every `step`-th sent. */
    int step = r.every_seconds * FPS >= 1 ? (int)(r.every_seconds * FPS) : 1;
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    send_fg(sc, COUNT);
    source_seek(&s, 0);
    VidkompyFrame f;
    for (;;) {
        if (s.next % step != 0) {
            if (!source_skip(&s)) break;
            continue;
        }
        if (!source_next(&s, &f)) break;
        CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
    CHECK(vidkompy_scout_finish(sc, &r) == VIDKOMPY_OK);
    CHECK(r.answer == VIDKOMPY_SCOUT_FOUND);
    CHECK(vidkompy_scout_span(sc, 0, &span) == VIDKOMPY_OK);
    CHECK(span.start_seconds <= (double)FIRST / FPS && span.end_seconds >= (double)(FIRST + COUNT) / FPS);
    vidkompy_scout_free(&sc);
}

/* The scout's finish status for the 75 fg frames made, from bg's keyframes 25 frames apart:
 * its result in `*r` and its message in `message`. */
static int scout_keyframes(VidkompyScoutResult *r, char *message, size_t size) {
    static Source s;
    memset(&s, 0, sizeof s);
    s.gop = 25;
    VidkompyScout *sc = NULL;
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    send_fg(sc, 75);
    send_keyframes(sc, &s);
    int status = vidkompy_scout_finish(sc, r);
    snprintf(message, size, "%s", vidkompy_scout_last_error(sc));
    vidkompy_scout_free(&sc);
    return status;
}

/* What a scout answers, field by field, for comparing runs. */
typedef struct {
    VidkompyScoutResult result;
    VidkompyScoutSpan spans[8], window;
} ScoutAnswer;

/* The scout's answer for the 75 fg frames made, from bg's keyframes 50 frames apart, computed
 * with the setting "threads" at `threads`. */
static void scout_on_threads(const char *threads, ScoutAnswer *a) {
    static Source s;
    memset(&s, 0, sizeof s);
    s.gop = 50;
    memset(a, 0, sizeof *a);
    VidkompySettings *settings = NULL;
    CHECK(vidkompy_settings_new(&settings) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(settings, "threads", threads) == VIDKOMPY_OK);
    VidkompyScout *sc = NULL;
    CHECK(vidkompy_scout_new(settings, &sc) == VIDKOMPY_OK);
    send_fg(sc, 75);
    send_keyframes(sc, &s);
    CHECK(vidkompy_scout_finish(sc, &a->result) == VIDKOMPY_OK);
    for (size_t i = 0; i < a->result.span_count && i < 8; i++) CHECK(vidkompy_scout_span(sc, i, &a->spans[i]) == VIDKOMPY_OK);
    if (a->result.answer == VIDKOMPY_SCOUT_FOUND) CHECK(vidkompy_scout_window(sc, &a->window) == VIDKOMPY_OK);
    vidkompy_scout_free(&sc);
    vidkompy_settings_free(&settings);
}

static int same_span(const VidkompyScoutSpan *a, const VidkompyScoutSpan *b) {
    return a->start_seconds == b->start_seconds && a->end_seconds == b->end_seconds && a->hits == b->hits &&
           a->best_score == b->best_score;
}

static int same_placement(const VidkompyPlacement *a, const VidkompyPlacement *b) {
    return a->x == b->x && a->y == b->y && a->width == b->width && a->height == b->height && a->scale == b->scale &&
           a->confidence == b->confidence && a->content_x == b->content_x && a->content_y == b->content_y &&
           a->content_width == b->content_width && a->content_height == b->content_height &&
           a->x_subpixel == b->x_subpixel && a->y_subpixel == b->y_subpixel;
}

/* The header: the scout's result does not depend on the setting "threads". The answer on one
 * thread and on three, every field equal, bit for bit. */
static void the_answer_does_not_depend_on_the_threads(void) {
    make_fg(1, 1100, 75);
    static ScoutAnswer one, three;
    scout_on_threads("1", &one);
    scout_on_threads("3", &three);
    CHECK(one.result.answer == VIDKOMPY_SCOUT_FOUND && one.result.span_count >= 1);
    CHECK(three.result.answer == one.result.answer && three.result.span_count == one.result.span_count);
    CHECK(same_placement(&one.result.placement, &three.result.placement));
    CHECK(three.result.best_score == one.result.best_score && three.result.bg_samples == one.result.bg_samples);
    for (size_t i = 0; i < one.result.span_count && i < 8; i++) CHECK(same_span(&one.spans[i], &three.spans[i]));
    CHECK(same_span(&one.window, &three.window));
}

static void another_programme_is_refused(void) {
    make_fg(2, 500, 75);
    VidkompyScoutResult r;
    char message[512];
    CHECK(scout_keyframes(&r, message, sizeof message) == VIDKOMPY_ERROR_NO_MATCH);
    CHECK(strstr(message, "score") != NULL);
}

/* fg whose right half is another programme's picture (graphics bg lacks): no keyframe shows
 * fg whole, but its left half matches one. The scout cannot rule fg out and answers UNSURE
 * (not NO_MATCH, which would lose a true pair with a large overlay): the host analyses all of
 * bg. */
static void half_foreign_is_unsure(void) {
    make_fg(1, 500, 75);
    static uint8_t other[BW * BH];
    for (int i = 0; i < 75; i++) {
        render_bg(2, 500 + i, other);
        for (int y = 0; y < FH; y++)
            for (int x = FW / 2; x < FW; x++) fg_pixels[i][y * FW + x] = other[(y + FY) * BW + x + FX];
    }
    VidkompyScoutResult r;
    char message[512];
    CHECK(scout_keyframes(&r, message, sizeof message) == VIDKOMPY_OK);
    CHECK(r.answer == VIDKOMPY_SCOUT_UNSURE);
}

static void calls_out_of_order_are_refused(void) {
    VidkompyScout *sc = NULL;
    VidkompyScoutResult r;
    CHECK(vidkompy_scout_new(NULL, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    CHECK(vidkompy_scout_finish(sc, &r) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_finish(sc, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_BG, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_send(sc, 7, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_set_bg_extent(sc, 5.0, 1.0) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_set_bg_extent(NULL, 0.0, 1.0) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    VidkompyError err;
    CHECK(vidkompy_scout_new_ex(NULL, NULL, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(err.status == VIDKOMPY_ERROR_INVALID_ARGUMENT && strstr(err.message, "out is NULL") != NULL);
    CHECK(vidkompy_alignment_check_window(NULL, 1, 1, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(err.status == VIDKOMPY_ERROR_INVALID_ARGUMENT && strstr(err.message, "NULL") != NULL);
    CHECK(vidkompy_scout_window(NULL, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_set_bg_extent(sc, 0.0, 60.0) == VIDKOMPY_OK);
    make_fg(1, 0, 2);
    VidkompyFrame late = gray(fg_pixels[0], FW, FH, 5), early = gray(fg_pixels[1], FW, FH, 4);
    CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_FG, &late) == VIDKOMPY_OK);
    CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_FG, &early) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strlen(vidkompy_scout_last_error(sc)) > 0);
    CHECK(vidkompy_scout_send(NULL, VIDKOMPY_STREAM_FG, &late) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strcmp(vidkompy_scout_last_error(NULL), "") == 0);
    vidkompy_scout_free(&sc);
    vidkompy_scout_free(&sc);
    vidkompy_scout_free(NULL);
    /* The header's bound: at most 2048 bg samples, the next refused with UNSUPPORTED. */
    static uint8_t tiny[16 * 16];
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    int taken = 0;
    for (int k = 0; k < 2048; k++) {
        VidkompyFrame f = gray(tiny, 16, 16, k);
        taken += vidkompy_scout_send(sc, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK;
    }
    CHECK(taken == 2048);
    VidkompyFrame over = gray(tiny, 16, 16, 2048);
    CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_BG, &over) == VIDKOMPY_ERROR_UNSUPPORTED);
    CHECK(strstr(vidkompy_scout_last_error(sc), "2048") != NULL);
    vidkompy_scout_free(&sc);
}

/* A few frames through every call of a found answer: what valgrind watches at the boundary. */
static void a_few_frames_found(void) {
    enum { FIRST = 1100, COUNT = 3 };
    make_fg(1, FIRST, COUNT);
    static uint8_t picture[BW * BH];
    VidkompyScout *sc = NULL;
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    send_fg(sc, COUNT);
    for (int j = FIRST - 2; j <= FIRST + 2; j += 2) {
        render_bg(1, j, picture);
        VidkompyFrame f = gray(picture, BW, BH, j);
        CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
    VidkompyScoutResult r;
    CHECK(vidkompy_scout_finish(sc, &r) == VIDKOMPY_OK && r.answer == VIDKOMPY_SCOUT_FOUND && r.span_count >= 1);
    VidkompyScoutSpan span;
    CHECK(vidkompy_scout_span(sc, 0, &span) == VIDKOMPY_OK && span.start_seconds <= (double)FIRST / FPS);
    CHECK(vidkompy_scout_window(sc, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_scout_window(sc, &span) == VIDKOMPY_OK && span.start_seconds <= (double)FIRST / FPS);
    vidkompy_scout_free(&sc);
}

/* The cancel flag, set before finish: CANCELLED, then BAD_STATE for every call. */
static void cancelled(void) {
    static int flag;
    VidkompyScout *sc = NULL;
    CHECK(vidkompy_scout_new(NULL, &sc) == VIDKOMPY_OK);
    CHECK(vidkompy_scout_set_cancel_flag(sc, &flag) == VIDKOMPY_OK);
    make_fg(1, 0, 10);
    send_fg(sc, 10);
    __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
    VidkompyScoutResult r;
    CHECK(vidkompy_scout_finish(sc, &r) == VIDKOMPY_ERROR_CANCELLED);
    CHECK(vidkompy_scout_finish(sc, &r) == VIDKOMPY_ERROR_BAD_STATE);
    VidkompyFrame f = gray(fg_pixels[0], FW, FH, 100);
    CHECK(vidkompy_scout_send(sc, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(vidkompy_scout_set_cancel_flag(NULL, &flag) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    vidkompy_scout_free(&sc);
}

int main(void) {
    /* Under valgrind (VIDKOMPY_C_TEST_SHORT set by CI), where the scout's searches over a
     * minute of bg cost many minutes, a few frames go through every call; everything runs
     * unwrapped. */
    if (getenv("VIDKOMPY_C_TEST_SHORT") != NULL) {
        a_few_frames_found();
        calls_out_of_order_are_refused();
        cancelled();
        return finish("test_scout");
    }
    found_from_keyframes();
    the_answer_does_not_depend_on_the_threads();
    sparse_keyframes_ask_for_a_denser_sample();
    another_programme_is_refused();
    half_foreign_is_unsure();
    a_window_that_cuts_fg_is_not_kept();
    a_few_frames_found();
    calls_out_of_order_are_refused();
    cancelled();
    return finish("test_scout");
}
