/* What a video editor does with an alignment, from the header alone: ask it questions, render
 * frames in any order on two threads (vidkompy_composite), seek bg in pass 2, survive a
 * decoder that drops or repeats frames, correct the placement, and read each call's error
 * without thread-local state while other threads fail at the same time. */
#define _POSIX_C_SOURCE 200809L
#include "vidkompy.h"
#include "check.h"
#include "scene.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t y[BW * BH], u[(BW / 2) * (BH / 2)], v[(BW / 2) * (BH / 2)];
} OutFrame;

/* The sequential compositor's output for each fg frame: the reference. */
static OutFrame reference[FG_FRAMES];

static VidkompyFrame out_frame(OutFrame *o) { return i420(o->y, o->u, o->v, BW, BH, 0); }

static int same(const OutFrame *a, const OutFrame *b) { return memcmp(a, b, sizeof *a) == 0; }

/* Under valgrind (VIDKOMPY_C_TEST_SHORT set by CI), where the placement search costs minutes
 * (faer's fused multiply-adds are emulated lane by lane), the analyzer is given the true
 * placement and aligns in time only; the unwrapped run searches it. */
static VidkompyAlignment *analyze(void) {
    VidkompyAnalyzer *an = NULL;
    VidkompyError err;
    CHECK(vidkompy_analyzer_new_ex(NULL, &an, &err) == VIDKOMPY_OK && err.status == VIDKOMPY_OK);
    if (getenv("VIDKOMPY_C_TEST_SHORT") != NULL) {
        VidkompyPlacement p = scene_placement();
        CHECK(vidkompy_analyzer_set_placement(an, &p) == VIDKOMPY_OK);
    }
    for (int j = 0; j < BG_FRAMES; j++) {
        VidkompyFrame f = bg_frame(j);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
        if (j >= OFFSET && j - OFFSET < FG_FRAMES) {
            VidkompyFrame g = fg_frame(j - OFFSET);
            CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &g) == VIDKOMPY_OK);
        }
    }
    VidkompyAlignment *al = NULL;
    CHECK(vidkompy_analyzer_finish(an, &al) == VIDKOMPY_OK);
    vidkompy_analyzer_free(&an);
    return al;
}

/* fg frame n of the reordered fg: scene frame (n + 14) % FG_FRAMES, with pts n. */
static VidkompyFrame reordered_fg(int n) {
    VidkompyFrame g = fg_frame((n + 14) % FG_FRAMES);
    g.pts = n;
    return g;
}

/* fg's shots in another order than bg's (scene frames 14-29, then 0-13: an edit that goes
 * back): the map follows the edit, and the compositor has bg sought back where it goes back;
 * a bg frame sent forward there is refused, never composited over. Every output equals random
 * access's. The true placement is given, so this runs under valgrind too. */
static void shots_in_another_order_are_followed(void) {
    VidkompyAnalyzer *an = NULL;
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    VidkompyPlacement p = scene_placement();
    CHECK(vidkompy_analyzer_set_placement(an, &p) == VIDKOMPY_OK);
    for (int j = 0; j < BG_FRAMES; j++) {
        VidkompyFrame f = bg_frame(j);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
    for (int n = 0; n < FG_FRAMES; n++) {
        VidkompyFrame g = reordered_fg(n);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &g) == VIDKOMPY_OK);
    }
    VidkompyAlignment *al = NULL;
    int r = vidkompy_analyzer_finish(an, &al);
    if (r != VIDKOMPY_OK) fprintf(stderr, "reordered shots: %d %s\n", r, vidkompy_analyzer_last_error(an));
    CHECK(r == VIDKOMPY_OK && al != NULL);
    vidkompy_analyzer_free(&an);
    if (al == NULL) return;
    int exact = 0;
    for (int n = 0; n < FG_FRAMES; n++) {
        uint32_t j = 0;
        int outside = 1;
        CHECK(vidkompy_alignment_bg_index(al, (size_t)n, &j, &outside) == VIDKOMPY_OK);
        exact += !outside && (int)j == OFFSET + (n + 14) % FG_FRAMES;
    }
    if (exact != FG_FRAMES) fprintf(stderr, "reordered shots: %d of %d exact\n", exact, FG_FRAMES);
    CHECK(exact == FG_FRAMES);

    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    size_t first = 0, back = 0;
    int64_t back_pts = 0;
    CHECK(vidkompy_compositor_first_bg(c, &first, NULL) == VIDKOMPY_OK && first == OFFSET + 14);
    CHECK(vidkompy_compositor_bg_rewind(c, &back, &back_pts) == 0);
    CHECK(vidkompy_compositor_seek_bg(c, 0) == VIDKOMPY_ERROR_BAD_STATE);
    static OutFrame out, expected;
    int fg_next = 0, bg_next = (int)first, written = 0, rewinds = 0, equal = 1;
    for (int guard = 0; guard < 10000; guard++) {
        VidkompyFrame dst = out_frame(&out);
        r = vidkompy_compositor_receive_into(c, &dst);
        if (r == VIDKOMPY_OK) {
            uint32_t j = 0;
            CHECK(vidkompy_alignment_bg_index(al, (size_t)written, &j, NULL) == VIDKOMPY_OK);
            VidkompyFrame g = reordered_fg(written), b = bg_frame((int)j), e = out_frame(&expected);
            CHECK(vidkompy_composite(al, NULL, (size_t)written, &g, &b, &e, NULL) == VIDKOMPY_OK);
            equal &= same(&out, &expected);
            written++;
            continue;
        }
        if (r == VIDKOMPY_EOF) break;
        CHECK(r == VIDKOMPY_AGAIN);
        if (r != VIDKOMPY_AGAIN) break;
        int s = vidkompy_compositor_wants(c);
        if (s == VIDKOMPY_STREAM_FG) {
            VidkompyFrame g = reordered_fg(fg_next++);
            CHECK(vidkompy_compositor_send(c, s, &g) == VIDKOMPY_OK);
            continue;
        }
        if (vidkompy_compositor_bg_rewind(c, &back, &back_pts) == 1) {
            /* The edit goes back: fg frame 16 (scene frame 0) needs bg frame OFFSET. */
            CHECK(written == FG_FRAMES - 14 && back == OFFSET && back_pts == OFFSET);
            VidkompyFrame forward = bg_frame(bg_next);
            CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &forward) == VIDKOMPY_ERROR_BAD_STATE);
            CHECK(strstr(vidkompy_compositor_last_error(c), "passed") != NULL);
            CHECK(vidkompy_compositor_seek_bg(c, back + 1) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
            CHECK(vidkompy_compositor_seek_bg(c, back - 3) == VIDKOMPY_OK);
            bg_next = (int)back - 3;
            rewinds++;
        }
        VidkompyFrame f = bg_frame(bg_next);
        CHECK(vidkompy_compositor_send(c, s, bg_next < BG_FRAMES ? &f : NULL) == VIDKOMPY_OK);
        bg_next++;
    }
    CHECK(written == FG_FRAMES && rewinds == 1 && equal);
    vidkompy_compositor_free(&c);
    vidkompy_alignment_free(&al);
}

static void ask_the_alignment(const VidkompyAlignment *al) {
    VidkompyStreamInfo fg, bg;
    VidkompyError err;
    CHECK(vidkompy_alignment_stream_info(al, VIDKOMPY_STREAM_FG, &fg, &err) == VIDKOMPY_OK);
    CHECK(vidkompy_alignment_stream_info(al, VIDKOMPY_STREAM_BG, &bg, NULL) == VIDKOMPY_OK);
    CHECK(fg.width == FW && fg.height == FH && fg.frames == FG_FRAMES && fg.format == VIDKOMPY_PIXEL_FORMAT_I420);
    CHECK(bg.width == BW && bg.height == BH && bg.frames == BG_FRAMES);
    CHECK(fabs(bg.frame_rate - 25.0) < 1e-9 && bg.constant_rate == 1);
    CHECK(bg.time_base_num == 1 && bg.time_base_den == 25 && fabs(bg.start_seconds) < 1e-12);
    CHECK(vidkompy_alignment_stream_info(al, 5, &fg, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(err.status == VIDKOMPY_ERROR_INVALID_ARGUMENT && strstr(err.message, "unknown stream 5") != NULL);

    for (size_t i = 0; i < FG_FRAMES; i++) {
        int64_t pts = -1;
        int num = 0, den = 0;
        double confidence = -1;
        CHECK(vidkompy_alignment_bg_pts(al, i, &pts, &num, &den, NULL) == VIDKOMPY_OK);
        CHECK(pts == (int64_t)(i + OFFSET) && num == 1 && den == 25);
        CHECK(vidkompy_alignment_frame_confidence(al, i, &confidence, NULL) == VIDKOMPY_OK);
        CHECK(confidence >= 0.0 && confidence <= 1.0);
    }
    CHECK(vidkompy_alignment_bg_pts(al, FG_FRAMES, NULL, NULL, NULL, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "beyond") != NULL);
    /* bg time = fg time + 14 frames, to within a fortieth of a frame (a least-squares fit). */
    CHECK(fabs(fabs(vidkompy_alignment_offset_seconds(al)) - OFFSET / 25.0) < 1e-3);
    CHECK(fabs(vidkompy_alignment_rate(al) - 1.0) < 1e-6);
    size_t count = 99;
    CHECK(vidkompy_alignment_outside_frames(al, NULL, 0, &count, NULL) == VIDKOMPY_OK && count == 0);

    /* A timeline's own time base (MPEG's 1/90000: a 25 fps frame is 3600 units): the fg frame
     * showing at a time, and the bg frame's time under it. */
    int exact = 1;
    for (size_t i = 0; i < FG_FRAMES; i++) {
        size_t at = 999, just_before = 999;
        int64_t t = (int64_t)i * 3600, bg_time = -1;
        exact &= vidkompy_alignment_fg_index_at(al, t, 1, 90000, &at, NULL) == VIDKOMPY_OK && at == i;
        exact &= vidkompy_alignment_fg_index_at(al, t + 3599, 1, 90000, &at, NULL) == VIDKOMPY_OK && at == i;
        if (i > 0) exact &= vidkompy_alignment_fg_index_at(al, t - 1, 1, 90000, &just_before, NULL) == VIDKOMPY_OK &&
                            just_before == i - 1;
        exact &= vidkompy_alignment_bg_time(al, i, 1, 90000, &bg_time, NULL) == VIDKOMPY_OK &&
                 bg_time == (int64_t)(i + OFFSET) * 3600;
    }
    CHECK(exact);
    size_t none = 0;
    CHECK(vidkompy_alignment_fg_index_at(al, -1, 1, 90000, &none, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "outside fg's") != NULL);
    CHECK(vidkompy_alignment_fg_index_at(al, FG_FRAMES * 3600, 1, 90000, &none, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_alignment_fg_index_at(al, 0, 0, 0, &none, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    /* The media's record: the first frames and counts match; another picture, another count,
     * a regraded first frame (fg's own frames are a regraded crop) as the check allows. */
    int matches = -1;
    VidkompyFrame first_bg = bg_frame(0), later_bg = bg_frame(40), first_fg = fg_frame(0);
    CHECK(vidkompy_alignment_media_matches(al, VIDKOMPY_STREAM_BG, &first_bg, BG_FRAMES, &matches, &err) == VIDKOMPY_OK &&
          matches == 1);
    CHECK(vidkompy_alignment_media_matches(al, VIDKOMPY_STREAM_FG, &first_fg, FG_FRAMES, &matches, NULL) == VIDKOMPY_OK &&
          matches == 1);
    CHECK(vidkompy_alignment_media_matches(al, VIDKOMPY_STREAM_BG, &first_bg, BG_FRAMES + 1, &matches, NULL) ==
              VIDKOMPY_OK &&
          matches == 0);
    CHECK(vidkompy_alignment_media_matches(al, VIDKOMPY_STREAM_BG, &later_bg, BG_FRAMES, &matches, NULL) == VIDKOMPY_OK &&
          matches == 0);
    CHECK(vidkompy_alignment_media_matches(al, 7, &first_bg, BG_FRAMES, &matches, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    int64_t t = 0;
    CHECK(vidkompy_alignment_bg_time(al, 0, 1, 0, &t, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_alignment_bg_time(al, FG_FRAMES, 1, 90000, &t, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
}

static void correct_the_placement(const VidkompyAlignment *al) {
    VidkompyPlacement p;
    CHECK(vidkompy_alignment_placement_ex(al, &p, NULL) == VIDKOMPY_OK);
    p.x += 2;
    VidkompyAlignment *moved = NULL;
    CHECK(vidkompy_alignment_with_placement(al, &p, &moved, NULL) == VIDKOMPY_OK);
    VidkompyPlacement q;
    CHECK(vidkompy_alignment_placement(moved, &q) == VIDKOMPY_OK && q.x == FX + 2 && q.y == FY);
    /* The scene's frames are small enough for the analyzer's copies to hold them whole: its
     * placement is not approximate, nor is one the host gives. */
    int approximate = -1;
    CHECK(vidkompy_alignment_placement_approximate(al, &approximate, NULL) == VIDKOMPY_OK && approximate == 0);
    approximate = -1;
    CHECK(vidkompy_alignment_placement_approximate(moved, &approximate, NULL) == VIDKOMPY_OK && approximate == 0);
    CHECK(vidkompy_alignment_placement_approximate(moved, NULL, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_alignment_placement_approximate(NULL, &approximate, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_alignment_fg_frames(moved) == FG_FRAMES);
    vidkompy_alignment_free(&moved);
    VidkompyError err;
    p.scale = -1.0;
    CHECK(vidkompy_alignment_with_placement(al, &p, &moved, &err) == VIDKOMPY_ERROR_INVALID_DATA);
    CHECK(moved == NULL && strstr(err.message, "scale") != NULL);
}

/* Runs the compositor over bg frames [bg_from, BG_FRAMES) minus `skip_bg` (and fg minus
 * `skip_fg`, -1 for none), into `outs`; returns the frames written. */
static int run_compositor(const VidkompyAlignment *al, int bg_from, int skip_bg, int skip_fg, OutFrame *outs,
                          VidkompyPassStats *stats) {
    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new_ex(al, NULL, &c, NULL) == VIDKOMPY_OK);
    /* Nothing sent yet: receive_into without a destination says AGAIN. */
    CHECK(vidkompy_compositor_receive_into(c, NULL) == VIDKOMPY_AGAIN);
    int fg_next = 0, bg_next = bg_from, written = 0;
    for (int guard = 0; guard < 10000; guard++) {
        VidkompyFrame out = out_frame(&outs[written < FG_FRAMES ? written : 0]);
        int r = vidkompy_compositor_receive_into(c, &out);
        if (r == VIDKOMPY_OK) {
            written++;
            continue;
        }
        if (r == VIDKOMPY_EOF) break;
        CHECK(r == VIDKOMPY_AGAIN);
        if (r != VIDKOMPY_AGAIN) break;
        int s = vidkompy_compositor_wants(c);
        CHECK(s != VIDKOMPY_STREAM_NONE);
        if (s == VIDKOMPY_STREAM_FG) {
            if (fg_next == skip_fg) fg_next++;
            VidkompyFrame f = fg_frame(fg_next);
            CHECK(vidkompy_compositor_send(c, s, fg_next < FG_FRAMES ? &f : NULL) == VIDKOMPY_OK);
            fg_next++;
        } else {
            if (bg_next == skip_bg) bg_next++;
            VidkompyFrame f = bg_frame(bg_next);
            /* AGAIN: the frame after a lost one; it is sent again after the next receive. */
            int sent = vidkompy_compositor_send(c, s, bg_next < BG_FRAMES ? &f : NULL);
            CHECK(sent == VIDKOMPY_OK || (sent == VIDKOMPY_AGAIN && bg_next == skip_bg + 1));
            if (sent == VIDKOMPY_OK) bg_next++;
        }
    }
    CHECK(vidkompy_compositor_receive_into(c, NULL) == VIDKOMPY_EOF);
    CHECK(vidkompy_compositor_stats(c, stats) == VIDKOMPY_OK);
    vidkompy_compositor_free(&c);
    return written;
}

static void seek_and_survive_drops(const VidkompyAlignment *al) {
    VidkompyPassStats stats;
    CHECK(run_compositor(al, 0, -1, -1, reference, &stats) == FG_FRAMES);
    CHECK(stats.bg_missing == 0 && stats.bg_stand_ins == 0 && stats.fg_missing == 0);

    /* Seeking: the compositor names the first bg frame it needs; bg starting there (with pts)
     * gives the same bytes. */
    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    size_t first = 0;
    int64_t first_pts = 0;
    CHECK(vidkompy_compositor_first_bg(c, &first, &first_pts) == VIDKOMPY_OK);
    CHECK(first == OFFSET && first_pts == OFFSET);
    CHECK(vidkompy_compositor_start_bg_at(c, first + 1) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_compositor_start_bg_at(c, first) == VIDKOMPY_OK);
    vidkompy_compositor_free(&c);
    static OutFrame outs[FG_FRAMES];
    CHECK(run_compositor(al, OFFSET, -1, -1, outs, &stats) == FG_FRAMES);
    int equal = 1;
    for (int i = 0; i < FG_FRAMES; i++) equal &= same(&outs[i], &reference[i]);
    CHECK(equal);
    CHECK(stats.bg_missing == 0);

    /* bg frame 30 (under fg frame 16) lost by the decoder: found by its pts, counted, and
     * every other frame still lands on its own bg frame. */
    memset(outs, 0, sizeof outs);
    CHECK(run_compositor(al, 0, 30, -1, outs, &stats) == FG_FRAMES);
    CHECK(stats.bg_missing == 1 && stats.bg_stand_ins == 1);
    equal = 1;
    for (int i = 0; i < FG_FRAMES; i++)
        if (i != 30 - OFFSET) equal &= same(&outs[i], &reference[i]);
    CHECK(equal);
    CHECK(!same(&outs[30 - OFFSET], &reference[30 - OFFSET]));

    /* fg frame 5 lost: no output for it, the rest unshifted. */
    memset(outs, 0, sizeof outs);
    CHECK(run_compositor(al, 0, -1, 5, outs, &stats) == FG_FRAMES - 1);
    CHECK(stats.fg_missing == 1);
    CHECK(same(&outs[4], &reference[4]) && same(&outs[5], &reference[6]) && same(&outs[28], &reference[29]));
}

/* Random access: every frame, shuffled, split over two threads, each into its own buffer. */
typedef struct {
    const VidkompyAlignment *al;
    int first, step, mismatches, failures;
} RenderJob;

static int order[FG_FRAMES];

static void *render(void *arg) {
    RenderJob *job = (RenderJob *)arg;
    OutFrame *out = (OutFrame *)malloc(sizeof *out);
    for (int k = job->first; k < FG_FRAMES; k += job->step) {
        int i = order[k];
        uint32_t j = 0;
        VidkompyError err;
        if (vidkompy_alignment_bg_index_ex(job->al, (size_t)i, &j, NULL, &err) != VIDKOMPY_OK) {
            job->failures++;
            continue;
        }
        VidkompyFrame fg = fg_frame(i), bg = bg_frame((int)j), dst = out_frame(out);
        if (vidkompy_composite(job->al, NULL, (size_t)i, &fg, &bg, &dst, &err) != VIDKOMPY_OK) {
            fprintf(stderr, "composite %d: %s\n", i, err.message);
            job->failures++;
            continue;
        }
        if (!same(out, &reference[i]) || dst.pts != i) job->mismatches++;
    }
    free(out);
    return NULL;
}

/* A paste at half size at an odd offset (the direct path of I420 onto I420): a flat fg stays
 * exactly its colour inside the paste, every luma sample and every chroma block it covers
 * whole, and bg outside it is bg's, byte for byte. */
static void a_scaled_paste_is_flat_inside_and_bg_outside(const VidkompyAlignment *al) {
    VidkompyPlacement p;
    CHECK(vidkompy_alignment_placement_ex(al, &p, NULL) == VIDKOMPY_OK);
    p.scale = 0.5;
    p.width = (uint32_t)(p.content_width / 2);
    p.height = (uint32_t)(p.content_height / 2);
    p.x = FX + 1;
    p.y = FY + 1;
    VidkompyAlignment *half = NULL;
    CHECK(vidkompy_alignment_with_placement(al, &p, &half, NULL) == VIDKOMPY_OK);
    if (!half) return;
    static uint8_t fy[FW * FH], fu[(FW / 2) * (FH / 2)], fv[(FW / 2) * (FH / 2)];
    memset(fy, 200, sizeof fy);
    memset(fu, 90, sizeof fu);
    memset(fv, 160, sizeof fv);
    static OutFrame o;
    const int j = OFFSET; /* fg frame 0's bg frame */
    VidkompyFrame fg = i420(fy, fu, fv, FW, FH, 0), bg = bg_frame(j), dst = out_frame(&o);
    VidkompyError err;
    int r = vidkompy_composite(half, NULL, 0, &fg, &bg, &dst, &err);
    if (r != VIDKOMPY_OK) fprintf(stderr, "scaled paste: %s\n", err.message);
    CHECK(r == VIDKOMPY_OK);
    int x0 = p.x, y0 = p.y, x1 = p.x + (int)p.width, y1 = p.y + (int)p.height;
    int luma_ok = 1, chroma_ok = 1;
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) {
            int inside = x >= x0 && x < x1 && y >= y0 && y < y1;
            luma_ok &= o.y[y * BW + x] == (inside ? 200 : bg_frames[j].y[y * BW + x]);
        }
    for (int cy = 0; cy < BH / 2; cy++)
        for (int cx = 0; cx < BW / 2; cx++) {
            int whole = 2 * cx >= x0 && 2 * cx + 2 <= x1 && 2 * cy >= y0 && 2 * cy + 2 <= y1;
            int apart = 2 * cx + 2 <= x0 || 2 * cx >= x1 || 2 * cy + 2 <= y0 || 2 * cy >= y1;
            int k = cy * (BW / 2) + cx;
            if (whole) chroma_ok &= o.u[k] == 90 && o.v[k] == 160;
            if (apart) chroma_ok &= o.u[k] == bg_frames[j].u[k] && o.v[k] == bg_frames[j].v[k];
        }
    CHECK(luma_ok);
    CHECK(chroma_ok);
    vidkompy_alignment_free(&half);
}

static void random_access(const VidkompyAlignment *al) {
    srand(7);
    for (int i = 0; i < FG_FRAMES; i++) order[i] = i;
    for (int i = FG_FRAMES - 1; i > 0; i--) {
        int k = rand() % (i + 1), t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    RenderJob jobs[2] = {{al, 0, 2, 0, 0}, {al, 1, 2, 0, 0}};
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) CHECK(pthread_create(&threads[t], NULL, render, &jobs[t]) == 0);
    for (int t = 0; t < 2; t++) pthread_join(threads[t], NULL);
    CHECK(jobs[0].failures == 0 && jobs[1].failures == 0);
    CHECK(jobs[0].mismatches == 0 && jobs[1].mismatches == 0);

    /* The wrong bg frame (its pts names frame 20) under fg frame 0 is refused, saying why. */
    static OutFrame out;
    VidkompyFrame fg = fg_frame(0), bg = bg_frame(20), dst = out_frame(&out);
    VidkompyError err;
    CHECK(vidkompy_composite(al, NULL, 0, &fg, &bg, &dst, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "bg frame 20") != NULL && strstr(err.message, "frame 14") != NULL);
    CHECK(vidkompy_composite(al, NULL, FG_FRAMES, &fg, &bg, &dst, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    /* An fg frame of another size than the one analysed. */
    VidkompyFrame narrow = i420(fg_frames[0].y, fg_frames[0].u, fg_frames[0].v, FW - 2, FH, 0);
    narrow.stride[0] = FW;
    narrow.stride[1] = narrow.stride[2] = FW / 2;
    bg = bg_frame(OFFSET);
    CHECK(vidkompy_composite(al, NULL, 0, &narrow, &bg, &dst, &err) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK(strstr(err.message, "as analysed") != NULL);
}

/* Per-call errors: threads fail at once with messages of their own; each reads its own. */
enum { ERROR_THREADS = 8, ERROR_CALLS = 400 };

static void *fail_repeatedly(void *arg) {
    int id = *(int *)arg, wrong = 0;
    char json[64], want[32];
    snprintf(json, sizeof json, "{\"format_version\": %d}", 100 + id);
    snprintf(want, sizeof want, "version %d", 100 + id);
    for (int k = 0; k < ERROR_CALLS; k++) {
        VidkompyAlignment *al = NULL;
        VidkompyError err;
        int r = vidkompy_alignment_from_json_ex(json, &al, &err);
        if (r != VIDKOMPY_ERROR_INVALID_DATA || err.status != r || strstr(err.message, want) == NULL) wrong++;
        if (strstr(vidkompy_last_error(), want) == NULL) wrong++;
    }
    *(int *)arg = wrong;
    return NULL;
}

static void errors_per_call(void) {
    pthread_t threads[ERROR_THREADS];
    int ids[ERROR_THREADS];
    for (int t = 0; t < ERROR_THREADS; t++) {
        ids[t] = t;
        CHECK(pthread_create(&threads[t], NULL, fail_repeatedly, &ids[t]) == 0);
    }
    int wrong = 0;
    for (int t = 0; t < ERROR_THREADS; t++) {
        pthread_join(threads[t], NULL);
        wrong += ids[t];
    }
    CHECK(wrong == 0);
    /* A success clears err; a NULL err is allowed. */
    VidkompySettings *s = NULL;
    VidkompyError err;
    memset(&err, 'x', sizeof err);
    CHECK(vidkompy_settings_new_ex(&s, &err) == VIDKOMPY_OK && err.status == VIDKOMPY_OK && err.message[0] == '\0');
    vidkompy_settings_free(&s);
    CHECK(vidkompy_settings_new_ex(NULL, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    VidkompyFrame f = fg_frame(0);
    f.width = -4;
    CHECK(vidkompy_frame_validate_ex(&f, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "negative width -4") != NULL);
}

static void versioned_json(const VidkompyAlignment *al) {
    size_t needed = 0;
    CHECK(vidkompy_alignment_to_json_ex(al, NULL, 0, &needed, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    char *json = (char *)malloc(needed);
    CHECK(vidkompy_alignment_to_json(al, json, needed, NULL) == VIDKOMPY_OK);
    CHECK(strstr(json, "\"format_version\": 2") != NULL && strstr(json, "\"media\"") != NULL);
    VidkompyAlignment *back = NULL;
    CHECK(vidkompy_alignment_from_json(json, &back) == VIDKOMPY_OK);
    VidkompyStreamInfo bg;
    CHECK(vidkompy_alignment_stream_info(back, VIDKOMPY_STREAM_BG, &bg, NULL) == VIDKOMPY_OK && bg.width == BW);
    vidkompy_alignment_free(&back);
    /* The compositor refuses a bg of another size than the one analysed. */
    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    VidkompyFrame small = i420(bg_frames[0].y, bg_frames[0].u, bg_frames[0].v, BW / 2, BH / 2, 0);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &small) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK(strstr(vidkompy_compositor_last_error(c), "as analysed") != NULL);
    vidkompy_compositor_free(&c);
    free(json);
}

/* The frame model: colour bits in `format`, 4:4:4, and 10 bits kept whole. */
static void frame_model(const VidkompyAlignment *al) {
    VidkompyFrame f = fg_frame(0);
    VidkompyError err;
    f.format = VIDKOMPY_PIXEL_FORMAT_I420 | VIDKOMPY_FRAME_RANGE_FULL | VIDKOMPY_FRAME_MATRIX_BT601;
    CHECK(vidkompy_frame_validate_ex(&f, &err) == VIDKOMPY_OK);
    f.format = VIDKOMPY_PIXEL_FORMAT_I420 | 0x300;
    CHECK(vidkompy_frame_validate_ex(&f, &err) == VIDKOMPY_ERROR_INVALID_FRAME);
    f.format = VIDKOMPY_PIXEL_FORMAT_I420 | 0x10000;
    CHECK(vidkompy_frame_validate_ex(&f, &err) == VIDKOMPY_ERROR_INVALID_FRAME);
    /* 4:4:4: chroma planes as large as luma (a 4:2:0-sized chroma plane is too short). */
    static uint8_t y444[FW * FH], u444[FW * FH], v444[FW * FH];
    VidkompyFrame full = i420(y444, u444, v444, FW, FH, 0);
    full.format = VIDKOMPY_PIXEL_FORMAT_I444;
    full.stride[1] = full.stride[2] = FW;
    CHECK(vidkompy_frame_validate(&full) == VIDKOMPY_OK);
    full.stride[1] = FW / 2;
    CHECK(vidkompy_frame_validate(&full) == VIDKOMPY_ERROR_INVALID_FRAME);

    /* fg frame 0 in 10 bits (values that are not multiples of 4) over bg in 10 bits. */
    static uint16_t fy[FW * FH], fu[FW * FH / 4], fv[FW * FH / 4];
    static uint16_t by[BW * BH], bu[BW * BH / 4], bv[BW * BH / 4], oy[BW * BH], ou[BW * BH / 4], ov[BW * BH / 4];
    for (int k = 0; k < FW * FH; k++) fy[k] = (uint16_t)(fg_frames[0].y[k] * 4 + k % 4);
    for (int k = 0; k < FW * FH / 4; k++) fu[k] = fv[k] = 512;
    for (int k = 0; k < BW * BH; k++) by[k] = (uint16_t)(bg_frames[OFFSET].y[k] * 4);
    for (int k = 0; k < BW * BH / 4; k++) bu[k] = bv[k] = 400;
    VidkompyFrame fg10 = i420((uint8_t *)fy, (uint8_t *)fu, (uint8_t *)fv, FW, FH, 0);
    VidkompyFrame bg10 = i420((uint8_t *)by, (uint8_t *)bu, (uint8_t *)bv, BW, BH, OFFSET);
    VidkompyFrame dst = i420((uint8_t *)oy, (uint8_t *)ou, (uint8_t *)ov, BW, BH, 0);
    VidkompyFrame *frames[3] = {&fg10, &bg10, &dst};
    for (int k = 0; k < 3; k++) {
        frames[k]->format = VIDKOMPY_PIXEL_FORMAT_I420P10;
        for (int p = 0; p < 3; p++) frames[k]->stride[p] *= 2;
    }
    CHECK(vidkompy_composite(al, NULL, 0, &fg10, &bg10, &dst, &err) == VIDKOMPY_OK);
    int exact = 1;
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++) exact &= oy[(y + FY) * BW + x + FX] == fy[y * FW + x];
    CHECK(exact);
    CHECK(oy[0] == by[0] && ou[0] == 400);

    /* The composite carries bg's colour description. */
    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    int fg_next = 0, bg_next = 0, r = VIDKOMPY_AGAIN;
    VidkompyFrame out;
    for (int guard = 0; guard < 200 && (r = vidkompy_compositor_receive(c, &out)) == VIDKOMPY_AGAIN; guard++) {
        int s = vidkompy_compositor_wants(c);
        VidkompyFrame in = s == VIDKOMPY_STREAM_FG ? fg_frame(fg_next++) : bg_frame(bg_next++);
        if (s == VIDKOMPY_STREAM_BG) in.format |= VIDKOMPY_FRAME_RANGE_LIMITED | VIDKOMPY_FRAME_MATRIX_BT709;
        CHECK(vidkompy_compositor_send(c, s, &in) == VIDKOMPY_OK);
    }
    CHECK(r == VIDKOMPY_OK);
    CHECK(out.format == (VIDKOMPY_PIXEL_FORMAT_I420 | VIDKOMPY_FRAME_RANGE_LIMITED | VIDKOMPY_FRAME_MATRIX_BT709));
    CHECK((out.format & VIDKOMPY_FRAME_FORMAT_MASK) == VIDKOMPY_PIXEL_FORMAT_I420);
    vidkompy_compositor_free(&c);
}

/* One sample of an RGBA format, given as 8-bit: as is, 16-bit, half (exact for n/255 only to
 * 11 bits, as a host's converter would round it) or float. */
static void put_sample(uint8_t *at, int format, unsigned v8) {
    double n = v8 / 255.0;
    if (format == VIDKOMPY_PIXEL_FORMAT_RGBA) {
        at[0] = (uint8_t)v8;
    } else if (format == VIDKOMPY_PIXEL_FORMAT_RGBA64) {
        uint16_t v = (uint16_t)(v8 * 257);
        memcpy(at, &v, 2);
    } else if (format == VIDKOMPY_PIXEL_FORMAT_RGBAF16) {
        /* 0 < n <= 1: exponent e with 2^e <= n < 2^(e+1), ten bits of mantissa. */
        uint16_t h = 0;
        if (v8 > 0) {
            int e = 0;
            double m = frexp(n, &e); /* n = m * 2^e, 0.5 <= m < 1 */
            h = (uint16_t)(((e - 1 + 15) << 10) | ((unsigned)lround((m * 2 - 1) * 1024) & 0x3ff));
            if (v8 == 255) h = 0x3c00;
        }
        memcpy(at, &h, 2);
    } else {
        float f = (float)n;
        memcpy(at, &f, 4);
    }
}

/* An RGBA fg frame 0 (8-bit, 16-bit, half or float) in near-white (235) with alpha by column:
 * transparent left of column 40, half (128) to column 84, opaque after; straight or
 * premultiplied. */
static VidkompyFrame alpha_fg(uint8_t *pixels, int format, int premultiplied) {
    int sample = format == VIDKOMPY_PIXEL_FORMAT_RGBA ? 1 : format == VIDKOMPY_PIXEL_FORMAT_RGBAF32 ? 4 : 2;
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++) {
            unsigned a = x < 40 ? 0 : x < 84 ? 128 : 255;
            uint8_t *p = pixels + (y * FW + x) * 4 * sample;
            unsigned c = premultiplied ? (235 * a + 127) / 255 : 235;
            for (int k = 0; k < 4; k++) put_sample(p + k * sample, format, k < 3 ? c : a);
        }
    VidkompyFrame f = {format, FW, FH, {pixels, NULL, NULL, NULL}, {FW * 4 * sample, 0, 0, 0}, 0, 0, 0};
    f.format |= premultiplied ? VIDKOMPY_FRAME_ALPHA_PREMULTIPLIED : VIDKOMPY_FRAME_ALPHA_STRAIGHT;
    return f;
}

/* fg's alpha over bg, at its edges, in each RGBA format: bg exactly up to the last transparent
 * column, the blend from the first half-covered one, fg where opaque; premultiplied colour
 * gives the same; an ALPHA flag on a format without alpha is refused with the reason. */
static void alpha_edges_in(const VidkompyAlignment *al, int format) {
    static uint8_t straight[FW * FH * 16], premultiplied[FW * FH * 16];
    static OutFrame outs[2];
    uint32_t j = 0;
    CHECK(vidkompy_alignment_bg_index(al, 0, &j, NULL) == VIDKOMPY_OK);
    VidkompyFrame bg = bg_frame((int)j);
    VidkompyFrame fgs[2] = {alpha_fg(straight, format, 0), alpha_fg(premultiplied, format, 1)};
    VidkompyError err;
    for (int k = 0; k < 2; k++) {
        VidkompyFrame dst = out_frame(&outs[k]);
        CHECK(vidkompy_composite(al, NULL, 0, &fgs[k], &bg, &dst, &err) == VIDKOMPY_OK);
    }
    const int white = 218; /* 16 + 219 * 235 / 255, rounded */
    int edges_ok = 1, agree = 1;
    for (int y = FY; y < FY + FH; y++) {
        const uint8_t *o = outs[0].y + y * BW, *b = bg_frames[j].y + y * BW;
        edges_ok &= o[FX + 39] == b[FX + 39] && o[FX] == b[FX];
        int half = b[FX + 40] + (white - b[FX + 40]) * 128 / 255;
        edges_ok &= abs(o[FX + 40] - half) <= 2 && abs(o[FX + 83] - (b[FX + 83] + (white - b[FX + 83]) * 128 / 255)) <= 2;
        edges_ok &= abs(o[FX + 84] - white) <= 1 && abs(o[FX + FW - 1] - white) <= 1;
        for (int x = 0; x < BW; x++) agree &= abs(o[x] - outs[1].y[y * BW + x]) <= 1;
    }
    CHECK(edges_ok);
    CHECK(agree);
    /* Chroma blocks wholly transparent keep bg's chroma. */
    CHECK(outs[0].u[(FY / 2 + 4) * (BW / 2) + FX / 2 + 3] == bg_frames[j].u[(FY / 2 + 4) * (BW / 2) + FX / 2 + 3]);
}

static void alpha_edges(const VidkompyAlignment *al) {
    const int formats[] = {VIDKOMPY_PIXEL_FORMAT_RGBA, VIDKOMPY_PIXEL_FORMAT_RGBA64, VIDKOMPY_PIXEL_FORMAT_RGBAF16,
                           VIDKOMPY_PIXEL_FORMAT_RGBAF32};
    for (size_t k = 0; k < sizeof formats / sizeof *formats; k++) alpha_edges_in(al, formats[k]);
    VidkompyError err;
    VidkompyFrame nv12 = fg_frame(0);
    nv12.format = VIDKOMPY_PIXEL_FORMAT_I420 | VIDKOMPY_FRAME_ALPHA_STRAIGHT;
    CHECK(vidkompy_frame_validate_ex(&nv12, &err) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK(strstr(err.message, "has no alpha") != NULL);
}

/* Promises of the header without a test elsewhere: an alignment read from a version-1 file
 * has no media record (BAD_STATE, first_bg's pts INT64_MIN); receive_into without dst is an
 * error only when a frame is ready; start_bg_at only before bg frames; outside_frames with
 * NULL indices and a capacity; locate_ex fills err. */
static void edges(const VidkompyAlignment *al) {
    const char *v1 = "{\"placement\": {\"x\": 50, \"y\": 30, \"width\": 128, \"height\": 72, \"scale\": 1, "
                     "\"confidence\": 1, \"content\": [0, 0, 128, 72]}, \"temporal\": {\"fg_frames\": 2, "
                     "\"bg_frames\": 60, \"map\": [14, 15], \"outside\": [], \"confidence\": 1}}";
    VidkompyAlignment *old = NULL;
    VidkompyError err;
    CHECK(vidkompy_alignment_from_json(v1, &old) == VIDKOMPY_OK);
    VidkompyStreamInfo info;
    CHECK(vidkompy_alignment_stream_info(old, VIDKOMPY_STREAM_BG, &info, &err) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(strstr(err.message, "version 1") != NULL);
    int64_t pts = 0;
    CHECK(vidkompy_alignment_bg_pts(old, 0, &pts, NULL, NULL, NULL) == VIDKOMPY_ERROR_BAD_STATE);
    /* Time queries and the media check need the media record too. */
    size_t at = 0;
    int matches = -1;
    VidkompyFrame first_bg = bg_frame(0);
    CHECK(vidkompy_alignment_fg_index_at(old, 0, 1, 90000, &at, &err) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(strstr(err.message, "version 1") != NULL);
    CHECK(vidkompy_alignment_bg_time(old, 0, 1, 90000, &pts, &err) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(vidkompy_alignment_media_matches(old, VIDKOMPY_STREAM_BG, &first_bg, 60, &matches, &err) ==
          VIDKOMPY_ERROR_BAD_STATE);
    CHECK(strstr(err.message, "version 1") != NULL && matches == -1);
    vidkompy_alignment_free(&old);
    /* A version-2 record without prints (saved before they existed) and with a variable-rate
     * fg: no time names an fg frame, and the first frames cannot be compared. */
    const char *v2 = "{\"format_version\": 2, \"placement\": {\"x\": 50, \"y\": 30, \"width\": 128, "
                     "\"height\": 72, \"scale\": 1, \"confidence\": 1, \"content\": [0, 0, 128, 72]}, "
                     "\"temporal\": {\"fg_frames\": 2, \"bg_frames\": 60, \"map\": [14, 15], \"outside\": [], "
                     "\"confidence\": 1}, \"media\": {"
                     "\"fg\": {\"format\": \"i420\", \"width\": 128, \"height\": 72, \"frames\": 2, "
                     "\"start_seconds\": 0, \"frame_rate\": 25, \"constant_rate\": false, \"time_base\": [1, 1000]}, "
                     "\"bg\": {\"format\": \"i420\", \"width\": 256, \"height\": 144, \"frames\": 60, "
                     "\"start_seconds\": 0, \"frame_rate\": 25, \"constant_rate\": true, \"time_base\": [1, 25]}}}";
    CHECK(vidkompy_alignment_from_json(v2, &old) == VIDKOMPY_OK);
    CHECK(vidkompy_alignment_fg_index_at(old, 0, 1, 90000, &at, &err) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(strstr(err.message, "variable rate") != NULL);
    CHECK(vidkompy_alignment_bg_time(old, 1, 1, 90000, &pts, &err) == VIDKOMPY_OK && pts == 15 * 3600);
    CHECK(vidkompy_alignment_media_matches(old, VIDKOMPY_STREAM_BG, &first_bg, 60, &matches, &err) ==
          VIDKOMPY_ERROR_BAD_STATE);
    CHECK(strstr(err.message, "no print") != NULL);
    vidkompy_alignment_free(&old);
    CHECK(vidkompy_alignment_from_json(v1, &old) == VIDKOMPY_OK);
    VidkompyCompositor *c = NULL;
    CHECK(vidkompy_compositor_new(old, NULL, &c) == VIDKOMPY_OK);
    size_t first = 0;
    CHECK(vidkompy_compositor_first_bg(c, &first, &pts) == VIDKOMPY_OK && first == 14 && pts == INT64_MIN);
    vidkompy_compositor_free(&c);
    vidkompy_alignment_free(&old);

    CHECK(vidkompy_compositor_new(al, NULL, &c) == VIDKOMPY_OK);
    VidkompyFrame f = fg_frame(0);
    CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
    for (int j = 0; j <= OFFSET; j++) {
        VidkompyFrame b = bg_frame(j);
        CHECK(vidkompy_compositor_send(c, VIDKOMPY_STREAM_BG, &b) == VIDKOMPY_OK);
    }
    CHECK(vidkompy_compositor_wants(c) == VIDKOMPY_STREAM_NONE);
    CHECK(vidkompy_compositor_receive_into(c, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vidkompy_compositor_last_error(c), "ready") != NULL);
    CHECK(vidkompy_compositor_start_bg_at(c, 0) == VIDKOMPY_ERROR_BAD_STATE);
    vidkompy_compositor_free(&c);

    size_t count = 0;
    CHECK(vidkompy_alignment_outside_frames(al, NULL, 4, &count, &err) == VIDKOMPY_OK && count == 0);
    VidkompyPlacement p;
    CHECK(vidkompy_locate_ex(NULL, NULL, 0, NULL, 0, &p, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(err.status == VIDKOMPY_ERROR_INVALID_ARGUMENT && strstr(err.message, "no frames") != NULL);
}

int main(void) {
    make_frames();
    VidkompyAlignment *al = analyze();
    if (!al) return finish("test_editor");
    ask_the_alignment(al);
    correct_the_placement(al);
    seek_and_survive_drops(al);
    random_access(al);
    a_scaled_paste_is_flat_inside_and_bg_outside(al);
    errors_per_call();
    versioned_json(al);
    frame_model(al);
    alpha_edges(al);
    edges(al);
    vidkompy_alignment_free(&al);
    shots_in_another_order_are_followed();
    return finish("test_editor");
}
