/* What fuzzers and careless hosts found, from C: saved alignments with absurd placements or
 * non-JSON numbers, frames with absurd strides, finishing without fg frames, a stream
 * running ahead without a placement, a placement overhanging bg with fg pushed first, bad
 * timestamps, an empty placement; and the handle's error is cleared by a success. Each is a
 * status and a message, never an abort, a crash or unbounded memory. */
#include "vidkompy.h"
#include "check.h"
#include "frames.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { W = 32, H = 16 };
static uint8_t pixels[W * H];
/* Unrelated pictures: frame k starts k bytes into this buffer. */
static uint8_t elsewhere[W * H + 64];

static VidkompyFrame gray(int w, int h, int64_t pts) { return gray8_frame(pixels, w, h, W, pts); }

static int from_json(const char *json) {
    VidkompyAlignment *al = NULL;
    int r = vidkompy_alignment_from_json(json, &al);
    vidkompy_alignment_free(&al);
    return r;
}

static void saved_alignments(void) {
#define PLACEMENT(x, w, h, scale, cw, ch)                                                           \
    "{\"placement\": {\"x\": " #x ", \"y\": 0, \"width\": " #w ", \"height\": " #h ", \"scale\": " #scale \
    ", \"confidence\": 1, \"content\": [0, 0, " #cw ", " #ch "]}, \"temporal\": {\"fg_frames\": 1, "     \
    "\"bg_frames\": 1, \"map\": [0], \"outside\": [], \"confidence\": 1}}"
    CHECK(from_json(PLACEMENT(0, 1000000, 1000000, 1, 8, 8)) == VIDKOMPY_ERROR_INVALID_DATA);
    CHECK(from_json(PLACEMENT(0, 100000, 100000, 1, 100000, 100000)) == VIDKOMPY_ERROR_INVALID_DATA);
    CHECK(from_json(PLACEMENT(0, 16000, 16000, 2000, 8, 8)) == VIDKOMPY_ERROR_INVALID_DATA);
    CHECK(from_json(PLACEMENT(0, 8, 8, 1e999, 8, 8)) == VIDKOMPY_ERROR_INVALID_DATA);
    CHECK(strstr(vidkompy_last_error(), "out of range") != NULL);
    /* A key given twice is refused, whichever value would have won. */
    CHECK(from_json("{\"format_version\": 2, \"format_version\": 99}") == VIDKOMPY_ERROR_INVALID_DATA);
    CHECK(strstr(vidkompy_last_error(), "duplicate key") != NULL);

    /* A large but valid paste over a small bg composites at once, for the visible part only. */
    VidkompyAlignment *al = NULL;
    CHECK(vidkompy_alignment_from_json(PLACEMENT(-900, 1024, 1024, 64, 16, 16), &al) == VIDKOMPY_OK);
    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    VidkompyFrame fg = gray(16, 16, 0), bg = gray(W, H, 0), out;
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_OK);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_OK);
    CHECK(vidkompy_compositor_receive(c, &out) == VIDKOMPY_OK);
    CHECK(out.width == W && out.height == H);
    vidkompy_compositor_free(&c);
    vidkompy_alignment_free(&al);
#undef PLACEMENT
}

static void absurd_strides(void) {
    VidkompyFrame f = gray(W, 2, 0);
    f.stride[0] = PTRDIFF_MAX / 2;
    CHECK(vidkompy_frame_validate(&f) == VIDKOMPY_ERROR_INVALID_FRAME);
    f.height = 3;
    CHECK(vidkompy_frame_validate(&f) == VIDKOMPY_ERROR_INVALID_FRAME);
    f.stride[0] = PTRDIFF_MIN / 2;
    CHECK(vidkompy_frame_validate(&f) == VIDKOMPY_ERROR_INVALID_FRAME);
    /* Just beyond the documented 2^28-byte limit, on a two-row frame. */
    f.height = 2;
    f.stride[0] = ((ptrdiff_t)1 << 28) + W;
    CHECK(vidkompy_frame_validate(&f) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK(strstr(vidkompy_last_error(), "stride") != NULL);
    VidkompyAnalyzer *an = NULL;
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_ERROR_INVALID_FRAME);
    vidkompy_analyzer_free(&an);
}

static void analyzer_order_and_bounds(void) {
    VidkompyAnalyzer *an = NULL;
    VidkompyAlignment *al = NULL;

    /* bg frames only: finish is a bad state, not a crash. */
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    for (int j = 0; j < 5; j++) {
        VidkompyFrame f = gray(W, H, j);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
    CHECK(vidkompy_analyzer_finish(an, &al) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(al == NULL);
    vidkompy_analyzer_free(&an);

    /* One stream running ahead without a placement is kept within a bound (48 MiB of small
     * copies: about 21000 of these frames, then every other one, and so on): every push is
     * taken. Grey frames match nothing, so finish refuses with a message and no alignment. */
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    int accepted = 0;
    for (int j = 0; j < 60000; j++) {
        VidkompyFrame f = gray(W, H, j);
        if (vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK) accepted++;
    }
    CHECK(accepted == 60000);
    for (int j = 0; j < 3; j++) {
        VidkompyFrame f = gray(W, H, j);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
    }
    al = NULL;
    CHECK(vidkompy_analyzer_finish(an, &al) != VIDKOMPY_OK);
    CHECK(al == NULL);
    CHECK(strlen(vidkompy_analyzer_last_error(an)) > 0);
    vidkompy_analyzer_free(&an);

    /* An empty placement is refused when set. */
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    VidkompyPlacement p;
    memset(&p, 0, sizeof p);
    p.scale = 1.0;
    CHECK(vidkompy_analyzer_set_placement(an, &p) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    vidkompy_analyzer_free(&an);

    /* A placement overhanging bg's right edge, fg pushed first: fg waits for bg's size. */
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    p.x = W - 8;
    p.y = 4;
    p.width = p.content_width = 16;
    p.height = p.content_height = 8;
    p.confidence = 1.0;
    CHECK(vidkompy_analyzer_set_placement(an, &p) == VIDKOMPY_OK);
    for (int i = 0; i < 4; i++) {
        /* fg shows bg's picture from (24, 4); its right half lies beyond bg's edge. */
        VidkompyFrame f = gray(16, 8, i);
        f.data[0] = pixels + 4 * W + 24;
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
    }
    for (int j = 0; j < 6; j++) {
        VidkompyFrame f = gray(W, H, j);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
    CHECK(vidkompy_analyzer_finish(an, &al) == VIDKOMPY_OK);
    CHECK(vidkompy_alignment_fg_frames(al) == 4);
    vidkompy_alignment_free(&al);
    vidkompy_analyzer_free(&an);
}

/* With a placement, all of fg may come before bg: fg is kept as small copies until bg's first
 * frame gives bg's size, so a placement inside bg and one overhanging it are both analysed. */
static void fg_whole_before_bg(void) {
    for (int overhang = 0; overhang < 2; overhang++) {
        VidkompyAnalyzer *an = NULL;
        CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
        VidkompyPlacement p;
        memset(&p, 0, sizeof p);
        p.x = overhang ? W - 8 : 8;
        p.y = 4;
        p.width = p.content_width = 16;
        p.height = p.content_height = 8;
        p.scale = p.confidence = 1.0;
        CHECK(vidkompy_analyzer_set_placement(an, &p) == VIDKOMPY_OK);
        for (int i = 0; i < 200; i++) {
            VidkompyFrame f = gray(16, 8, i);
            f.data[0] = pixels + 4 * W + p.x;
            CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
        }
        for (int j = 0; j < 210; j++) {
            VidkompyFrame bg = gray(W, H, j);
            CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_OK);
        }
        VidkompyAlignment *al = NULL;
        CHECK(vidkompy_analyzer_finish(an, &al) == VIDKOMPY_OK);
        CHECK(vidkompy_alignment_fg_frames(al) == 200);
        vidkompy_alignment_free(&al);
        vidkompy_analyzer_free(&an);
    }
}

static void timestamps_and_errors(void) {
    VidkompyAnalyzer *an = NULL;
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    VidkompyFrame f = gray(W, H, 0);
    CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    CHECK(strcmp(vidkompy_analyzer_last_error(an), "") == 0);
    /* A duplicate pts fails at the frame and says which. */
    CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vidkompy_analyzer_last_error(an), "bg frame 1") != NULL);
    /* AV_NOPTS_VALUE means "no timestamp"; the success clears the handle's error. */
    f.pts = INT64_MIN;
    CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    CHECK(strcmp(vidkompy_analyzer_last_error(an), "") == 0);
    /* A negative time base is refused. */
    f.pts = 9;
    f.time_base_num = -1;
    CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    vidkompy_analyzer_free(&an);
}

/* fg that bg does not contain: NO_MATCH with the counts, unless min_matched_share is 0. */
static void refusal(void) {
    for (int accept = 0; accept < 2; accept++) {
        VidkompySettings *s = NULL;
        CHECK(vidkompy_settings_new(&s) == VIDKOMPY_OK);
        CHECK(vidkompy_settings_set(s, "min_matched_share", accept ? "0" : "0.5") == VIDKOMPY_OK);
        VidkompyAnalyzer *an = NULL;
        CHECK(vidkompy_analyzer_new(s, &an) == VIDKOMPY_OK);
        VidkompyPlacement p;
        memset(&p, 0, sizeof p);
        p.x = 8;
        p.y = 4;
        p.width = p.content_width = 16;
        p.height = p.content_height = 8;
        p.scale = p.confidence = 1.0;
        CHECK(vidkompy_analyzer_set_placement(an, &p) == VIDKOMPY_OK);
        for (int k = 0; k < 40; k++) {
            VidkompyFrame bg = gray(W, H, k);
            bg.data[0] = pixels + (k % 7) * W;
            bg.height = H - 7;
            CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_OK);
        }
        for (int k = 0; k < 20; k++) {
            VidkompyFrame fg = gray(16, 8, k);
            fg.data[0] = elsewhere + k;
            CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_OK);
        }
        VidkompyAlignment *al = NULL;
        int r = vidkompy_analyzer_finish(an, &al);
        if (accept) {
            CHECK(r == VIDKOMPY_OK);
        } else {
            CHECK(r == VIDKOMPY_ERROR_NO_MATCH);
            CHECK(strstr(vidkompy_analyzer_last_error(an), "fg frames have no counterpart in bg") != NULL);
        }
        vidkompy_alignment_free(&al);
        vidkompy_analyzer_free(&an);
        vidkompy_settings_free(&s);
    }
}

/* The compositor matches frames by pts when the alignment records the media: a pts that goes
 * back, or one far past the alignment's frames (INT64_MAX), is refused at send, naming the
 * frame, instead of being taken for a repeat or for a frame that shadows every later one. */
static void compositor_timestamps(void) {
#define STREAM(w, h) "{\"format\": \"gray8\", \"width\": " #w ", \"height\": " #h ", \"frames\": 30, " \
    "\"start_seconds\": 0, \"frame_rate\": 25, \"constant_rate\": true, \"time_base\": [1, 25]}"
    static const char *json =
        "{\"format_version\": 2, \"placement\": {\"x\": 0, \"y\": 0, \"width\": 16, \"height\": 16, "
        "\"scale\": 1, \"confidence\": 1, \"content\": [0, 0, 16, 16]}, \"temporal\": {\"fg_frames\": 30, "
        "\"bg_frames\": 30, \"map\": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
        "27,28,29], \"outside\": [], \"confidence\": 1}, \"media\": {\"fg\": " STREAM(16, 16) ", \"bg\": "
        STREAM(32, 16) "}}";
    VidkompyAlignment *al = NULL;
    CHECK(vidkompy_alignment_from_json(json, &al) == VIDKOMPY_OK);
    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    VidkompyFrame out, fg, bg;
    for (int k = 0; k < 5; k++) {
        fg = gray(16, 16, k);
        bg = gray(W, H, k);
        CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_OK);
        CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_OK);
        CHECK(vidkompy_compositor_receive(c, &out) == VIDKOMPY_OK && out.pts == k);
    }
    fg = gray(16, 16, 5 - 10);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vidkompy_compositor_last_error(c), "out-of-order") != NULL);
    /* The refused frame changed nothing: the right one is taken. */
    fg = gray(16, 16, 5);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_OK);
    bg = gray(W, H, INT64_MAX);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &bg) < 0);
    bg = gray(W, H, 5);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_OK);
    CHECK(vidkompy_compositor_receive(c, &out) == VIDKOMPY_OK && out.pts == 5);
    vidkompy_compositor_free(&c);
    /* INT64_MAX as the first bg frame is refused too (nothing held yet). */
    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    fg = gray(16, 16, 0);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_OK);
    bg = gray(W, H, INT64_MAX);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vidkompy_compositor_last_error(c), "bg frame") != NULL);
    vidkompy_compositor_free(&c);
    vidkompy_alignment_free(&al);
#undef STREAM
}

/* A progress callback that calls back into its own analyzer (push, finish, set_callbacks,
 * free) gets BAD_STATE for each, with the reason in vidkompy_last_error; the running push
 * completes and the analyzer stays usable. */
typedef struct {
    VidkompyAnalyzer *an;
    int calls, refused;
} Reentry;

static void reenter(void *user, size_t fg, size_t bg) {
    (void)fg;
    (void)bg;
    Reentry *r = (Reentry *)user;
    VidkompyFrame f = gray(W, H, 100 + r->calls);
    VidkompyAlignment *al = NULL;
    r->calls++;
    r->refused += vidkompy_analyzer_push(r->an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_ERROR_BAD_STATE;
    r->refused += vidkompy_analyzer_finish(r->an, &al) == VIDKOMPY_ERROR_BAD_STATE;
    r->refused += vidkompy_analyzer_set_callbacks(r->an, NULL, NULL, NULL) == VIDKOMPY_ERROR_BAD_STATE;
    CHECK(strstr(vidkompy_last_error(), "inside one of its own callbacks") != NULL);
    VidkompyAnalyzer *an = r->an;
    vidkompy_analyzer_free(&an);
    r->refused += an == r->an;
    CHECK(al == NULL);
}

static void reentrant_callbacks(void) {
    Reentry r = {NULL, 0, 0};
    CHECK(vidkompy_analyzer_new(NULL, &r.an) == VIDKOMPY_OK);
    CHECK(vidkompy_analyzer_set_callbacks(r.an, NULL, reenter, &r) == VIDKOMPY_OK);
    VidkompyFrame f = gray(W, H, 0);
    CHECK(vidkompy_analyzer_push(r.an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    CHECK(r.calls == 1 && r.refused == 4);
    f = gray(W, H, 1);
    CHECK(vidkompy_analyzer_push(r.an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    CHECK(r.calls == 2 && r.refused == 8);
    vidkompy_analyzer_free(&r.an);
    CHECK(r.an == NULL);
}

int main(void) {
    for (int k = 0; k < W * H; k++) pixels[k] = (uint8_t)((k * 37) ^ (k >> 3));
    for (int k = 0; k < W * H + 64; k++) elsewhere[k] = (uint8_t)((k * 2654435761u) >> 13);
    saved_alignments();
    absurd_strides();
    analyzer_order_and_bounds();
    timestamps_and_errors();
    refusal();
    fg_whole_before_bg();
    compositor_timestamps();
    reentrant_callbacks();
    return finish("test_hostile");
}
