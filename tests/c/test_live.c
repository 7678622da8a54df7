/* The live session from C, written from the header alone: frames sent in the orders the
 * header allows (as vidkompy_live_wants asks, bg whenever it is taken, fg whenever it is taken,
 * interleaved by pts) each give every fg frame once, in order, with fg's pts, over its true bg
 * frame (OFFSET on), at the true placement; the frames held stay within the bound the header
 * gives (live_lag + 1 fg frames, two lookaheads and two bands of bg, a spare of each and the
 * output); streams that never meet slide on within that bound and end with NO_MATCH when bg
 * ends, freeing everything; a host that stops early gets every fg frame it sent; fg sped up
 * against its timestamps is refused as unsupported. */
#include "check.h"
#include "scene.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { AS_ASKED, BG_WHEN_TAKEN, FG_WHEN_TAKEN, BY_PTS, ORDERS };
static const char *order_name[ORDERS] = {"as asked", "bg when taken", "fg when taken", "interleaved by pts"};
enum { LAG = 8, BAND = 8 };

static VidkompySettings *live_settings(void) {
    VidkompySettings *s = NULL;
    CHECK(vidkompy_settings_new(&s) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "live_lag", "8") == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "band", "8") == VIDKOMPY_OK);
    return s;
}

typedef struct {
    int fg_sent, bg_sent, fg_count, bg_count;
    int out, wrong_bg, wrong_order, wrong_pts, outside;
    size_t most_held;
    /* When set, each frame is composited into this host frame (vidkompy_live_receive_into),
     * and its pixels are checked: fg's inside the paste, its bg frame's outside. */
    BgFrame *into;
    int wrong_pixels;
} Run;

/* Luma samples of a composite that are neither fg frame `i`'s inside the paste nor bg frame
 * `j`'s outside it. */
static int wrong_luma(const uint8_t *y, int i, int j) {
    int wrong = 0;
    for (int r = 0; r < BH; r++)
        for (int c = 0; c < BW; c++) {
            int inside = r >= FY && r < FY + FH && c >= FX && c < FX + FW;
            uint8_t want = inside ? fg_frames[i].y[(r - FY) * FW + c - FX] : bg_frames[j].y[r * BW + c];
            wrong += y[r * BW + c] != want;
        }
    return wrong;
}

/* Sends the next frame of `stream` (NULL past its end); 1 when taken. */
static int send_next(VidkompyLive *lv, int stream, Run *r) {
    int *sent = stream == VIDKOMPY_STREAM_FG ? &r->fg_sent : &r->bg_sent;
    int count = stream == VIDKOMPY_STREAM_FG ? r->fg_count : r->bg_count;
    if (*sent > count) return 0;
    VidkompyFrame f;
    if (*sent < count) f = stream == VIDKOMPY_STREAM_FG ? fg_frame(*sent) : bg_frame(*sent);
    int status = vidkompy_live_send(lv, stream, *sent < count ? &f : NULL);
    if (status == VIDKOMPY_OK) {
        (*sent)++;
        return 1;
    }
    if (status != VIDKOMPY_AGAIN) fprintf(stderr, "send: %d %s\n", status, vidkompy_live_last_error(lv));
    CHECK(status == VIDKOMPY_AGAIN);
    return 0;
}

/* Runs the session to its end; the status that ended it (EOF or an error). */
static int run(VidkompyLive *lv, int order, Run *r) {
    for (int step = 0; step < 100000; step++) {
        if (order == BG_WHEN_TAKEN)
            while (send_next(lv, VIDKOMPY_STREAM_BG, r)) {}
        if (order == FG_WHEN_TAKEN)
            while (send_next(lv, VIDKOMPY_STREAM_FG, r)) {}
        if (order == BY_PTS && r->bg_sent <= r->fg_sent + OFFSET) send_next(lv, VIDKOMPY_STREAM_BG, r);
        size_t held = vidkompy_live_held_bytes(lv);
        if (held > r->most_held) r->most_held = held;
        VidkompyFrame out;
        if (r->into != NULL) out = i420(r->into->y, r->into->u, r->into->v, BW, BH, -1);
        int status = r->into != NULL ? vidkompy_live_receive_into(lv, &out) : vidkompy_live_receive(lv, &out);
        if (status == VIDKOMPY_OK) {
            int64_t fg = -1, bg = -1;
            int outside = 0;
            CHECK(vidkompy_live_last_frame(lv, &fg, &bg, &outside) == VIDKOMPY_OK);
            if (r->into != NULL && fg >= 0 && fg < FG_FRAMES && bg >= 0 && bg < BG_FRAMES)
                r->wrong_pixels += wrong_luma(r->into->y, (int)fg, (int)bg);
            r->wrong_order += fg != r->out;
            r->wrong_bg += bg != fg + OFFSET;
            r->wrong_pts += out.pts != fg;
            r->outside += outside;
            CHECK(out.width == BW && out.height == BH);
            r->out++;
            continue;
        }
        if (status != VIDKOMPY_AGAIN) return status;
        int wants = vidkompy_live_wants(lv);
        CHECK(wants == VIDKOMPY_STREAM_FG || wants == VIDKOMPY_STREAM_BG);
        if (wants != VIDKOMPY_STREAM_FG && wants != VIDKOMPY_STREAM_BG) return VIDKOMPY_ERROR_INTERNAL;
        /* A stream asked for after its end would never come: a deadlock. */
        CHECK(wants == VIDKOMPY_STREAM_FG ? r->fg_sent <= r->fg_count : r->bg_sent <= r->bg_count);
        send_next(lv, wants, r);
    }
    CHECK(!"the session neither ended nor failed");
    return VIDKOMPY_ERROR_INTERNAL;
}

static void set_true_placement(VidkompyLive *lv) {
    VidkompyPlacement p = scene_placement();
    CHECK(vidkompy_live_set_placement(lv, &p) == VIDKOMPY_OK);
}

static size_t frame_bytes(int w, int h) { return (size_t)w * h + 2 * (size_t)(w / 2) * (h / 2); }

/* Start analyses told (LIVE_START at 0 and at 1), and stages told inside them. */
typedef struct {
    int starts_begun, starts_ended, inside, outside;
} StagesSeen;

static void on_stage(void *user, int stage, double done) {
    StagesSeen *seen = (StagesSeen *)user;
    if (stage == VIDKOMPY_STAGE_LIVE_START) {
        if (done <= 0.0) seen->starts_begun++;
        else seen->starts_ended++;
    } else if (seen->starts_begun > seen->starts_ended) {
        seen->inside++;
    } else {
        seen->outside++;
    }
}

static void every_order(int order, int given_placement) {
    VidkompySettings *s = live_settings();
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    StagesSeen seen = {0, 0, 0, 0};
    CHECK(vidkompy_live_set_stage_callback(lv, on_stage, &seen) == VIDKOMPY_OK);
    if (given_placement) set_true_placement(lv);
    Run r;
    memset(&r, 0, sizeof r);
    r.fg_count = FG_FRAMES;
    r.bg_count = BG_FRAMES;
    int status = run(lv, order, &r);
    if (status != VIDKOMPY_EOF) fprintf(stderr, "%s: %d %s\n", order_name[order], status, vidkompy_live_last_error(lv));
    CHECK(status == VIDKOMPY_EOF);
    if (r.wrong_bg || r.out != FG_FRAMES)
        fprintf(stderr, "%s: %d out, %d over the wrong bg frame\n", order_name[order], r.out, r.wrong_bg);
    CHECK(r.out == FG_FRAMES && r.wrong_order == 0 && r.wrong_bg == 0 && r.wrong_pts == 0 && r.outside == 0);
    /* Each start analysis was told begun and ended, with the analyzer's stages inside. */
    CHECK(seen.starts_begun >= 1 && seen.starts_begun == seen.starts_ended && seen.inside >= 2 && seen.outside == 0);
    VidkompyPlacement p;
    CHECK(vidkompy_live_placement(lv, &p) == VIDKOMPY_OK);
    CHECK(p.x == FX && p.y == FY && p.scale == 1.0);
    /* bg's time at fg's first frame: OFFSET frames at 25 fps, to within a tenth of a frame. */
    double offset = 0.0;
    CHECK(vidkompy_live_offset_seconds(lv, &offset) == VIDKOMPY_OK);
    double off_by = offset - OFFSET / 25.0;
    if (off_by > 0.004 || off_by < -0.004) fprintf(stderr, "%s: offset %f s\n", order_name[order], offset);
    CHECK(off_by <= 0.004 && off_by >= -0.004);
    /* The bound the header gives: live_lag + 1 fg frames and a spare, two lookaheads
     * (live_lag + 1 bg frames each at equal rates) and two bands of bg and a spare, the output. */
    size_t bound = (LAG + 2) * frame_bytes(FW, FH) + (2 * (LAG + 1) + 2 * BAND + 2) * frame_bytes(BW, BH);
    if (r.most_held > bound) fprintf(stderr, "%s: held %zu bytes, bound %zu\n", order_name[order], r.most_held, bound);
    CHECK(r.most_held <= bound);
    /* After EOF nothing more comes. */
    VidkompyFrame out;
    CHECK(vidkompy_live_receive(lv, &out) == VIDKOMPY_EOF);
    vidkompy_live_free(&lv);
    CHECK(lv == NULL);
    vidkompy_settings_free(&s);
}

/* bg of the scene's frames upside down and mirrored, which never show fg: NO_MATCH after a
 * bounded window of bg. */
static uint8_t turned_y[BW * BH], turned_u[(BW / 2) * (BH / 2)], turned_v[(BW / 2) * (BH / 2)];

static VidkompyFrame turned_bg(int j) {
    VidkompyFrame f = bg_frame(j % BG_FRAMES);
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) turned_y[y * BW + x] = f.data[0][(BH - 1 - y) * f.stride[0] + (BW - 1 - x)];
    memset(turned_u, 128, sizeof turned_u);
    memset(turned_v, 128, sizeof turned_v);
    return i420(turned_y, turned_u, turned_v, BW, BH, j);
}


/* A pair that never meets: while bg comes, the session slides its window on (fg may start
 * anywhere), holding no more than its window; when bg ends, NO_MATCH ("matched none"), or with
 * a limit of one window, NO_MATCH after the first start analysis, naming the limit.
 * `given_placement`: the time map alone decides (each start analysis is then cheap). */
static void never_meet(int given_placement, int start_windows) {
    VidkompySettings *s = live_settings();
    char windows[16];
    snprintf(windows, sizeof windows, "%d", start_windows);
    CHECK(vidkompy_settings_set(s, "live_start_windows", windows) == VIDKOMPY_OK);
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    if (given_placement) set_true_placement(lv);
    enum { BG_SENT = 400 };
    int fg_sent = 0, bg_sent = 0, status = VIDKOMPY_OK;
    size_t most_held = 0;
    while (bg_sent < BG_SENT) {
        VidkompyFrame out;
        status = vidkompy_live_receive(lv, &out);
        if (status != VIDKOMPY_AGAIN) break;
        if (vidkompy_live_held_bytes(lv) > most_held) most_held = vidkompy_live_held_bytes(lv);
        if (vidkompy_live_wants(lv) == VIDKOMPY_STREAM_FG) {
            VidkompyFrame f = fg_frame(fg_sent % FG_FRAMES);
            f.pts = fg_sent++;
            CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
        } else {
            VidkompyFrame f = turned_bg(bg_sent++);
            status = vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, &f);
            if (status != VIDKOMPY_OK && status != VIDKOMPY_AGAIN) break;
        }
    }
    if (start_windows == 1) {
        CHECK(status == VIDKOMPY_ERROR_NO_MATCH);
        CHECK(strstr(vidkompy_live_last_error(lv), "live_start_windows") != NULL);
        CHECK(bg_sent <= 2 * (LAG + 1) + 2 * BAND + 2);
    } else {
        if (status != VIDKOMPY_OK && status != VIDKOMPY_AGAIN) fprintf(stderr, "never meet: %d after %d bg frames\n", status, bg_sent);
        CHECK((status == VIDKOMPY_OK || status == VIDKOMPY_AGAIN) && bg_sent == BG_SENT);
        /* The seeking window and fg's first frames, however many bg frames went by. */
        CHECK(most_held <= (LAG + 2) * frame_bytes(FW, FH) + (2 * (LAG + 1) + 2 * BAND + 2) * frame_bytes(BW, BH));
        CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, NULL) == VIDKOMPY_OK);
        VidkompyFrame out;
        CHECK(vidkompy_live_receive(lv, &out) == VIDKOMPY_ERROR_NO_MATCH);
        CHECK(strstr(vidkompy_live_last_error(lv), "matched none") != NULL);
    }
    CHECK(vidkompy_live_held_bytes(lv) == 0);
    VidkompyFrame f = bg_frame(0);
    CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_ERROR_NO_MATCH);
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
}

/* fg's frames: stripes that move, like nothing in bg. */
static uint8_t stripes_y[FW * FH], stripes_u[(FW / 2) * (FH / 2)], stripes_v[(FW / 2) * (FH / 2)];

static VidkompyFrame stripes_fg(int i) {
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++) stripes_y[y * FW + x] = (uint8_t)(((x + 2 * i) / 4) % 2 ? 200 : 40);
    memset(stripes_u, 128, sizeof stripes_u);
    memset(stripes_v, 128, sizeof stripes_v);
    return i420(stripes_y, stripes_u, stripes_v, FW, FH, i);
}

/* One window of bg (live_start_windows 1) that holds nothing like fg: the session's own look
 * on small copies rules it out without a start analysis (no LIVE_START told), unless the host
 * said it scouted bg (vidkompy_live_set_scouted), when the first window goes straight to the
 * analysis, which refuses it too. Both end with NO_MATCH naming the limit. */
static void scouted_first_window(int scouted) {
    VidkompySettings *s = live_settings();
    CHECK(vidkompy_settings_set(s, "live_start_windows", "1") == VIDKOMPY_OK);
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    CHECK(vidkompy_live_set_scouted(lv, scouted) == VIDKOMPY_OK);
    StagesSeen seen = {0, 0, 0, 0};
    CHECK(vidkompy_live_set_stage_callback(lv, on_stage, &seen) == VIDKOMPY_OK);
    int fg_sent = 0, bg_sent = 0, status = VIDKOMPY_OK;
    while (bg_sent < 1000) {
        VidkompyFrame out;
        status = vidkompy_live_receive(lv, &out);
        if (status != VIDKOMPY_AGAIN) break;
        if (vidkompy_live_wants(lv) == VIDKOMPY_STREAM_FG) {
            VidkompyFrame f = stripes_fg(fg_sent++);
            CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
        } else {
            VidkompyFrame f = bg_frame(bg_sent % BG_FRAMES);
            f.pts = bg_sent++;
            status = vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, &f);
            if (status != VIDKOMPY_OK && status != VIDKOMPY_AGAIN) break;
        }
    }
    CHECK(status == VIDKOMPY_ERROR_NO_MATCH);
    CHECK(strstr(vidkompy_live_last_error(lv), "live_start_windows") != NULL);
    if (scouted) {
        CHECK(seen.starts_begun == 1 && seen.starts_ended == 1);
    } else {
        CHECK(seen.starts_begun == 0);
        CHECK(strstr(vidkompy_live_last_error(lv), "sure miss") != NULL);
    }
    /* Said after the first frame: refused, the session unchanged. */
    CHECK(vidkompy_live_set_scouted(lv, 1) != VIDKOMPY_OK);
    vidkompy_live_free(&lv);
    VidkompyLive *late = NULL;
    CHECK(vidkompy_live_new(s, &late) == VIDKOMPY_OK);
    VidkompyFrame f = bg_frame(0);
    CHECK(vidkompy_live_send(late, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    CHECK(vidkompy_live_set_scouted(late, 1) == VIDKOMPY_ERROR_BAD_STATE);
    vidkompy_live_free(&late);
    CHECK(vidkompy_live_set_scouted(NULL, 1) != VIDKOMPY_OK);
    vidkompy_settings_free(&s);
}

/* Composited straight into the host's frame: every fg frame once, in order, with its pts,
 * pasted exactly over its true bg frame; a frame of another size is refused once bg's size is
 * known, and the session goes on. */
static BgFrame host_frame;

static void into_host_frame(void) {
    VidkompySettings *s = live_settings();
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    set_true_placement(lv);
    CHECK(vidkompy_live_receive_into(lv, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    VidkompyFrame f = bg_frame(0);
    CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    static FgFrame small;
    VidkompyFrame wrong = i420(small.y, small.u, small.v, FW, FH, -1);
    CHECK(vidkompy_live_receive_into(lv, &wrong) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vidkompy_live_last_error(lv), "bg's frames") != NULL);
    Run r;
    memset(&r, 0, sizeof r);
    r.fg_count = FG_FRAMES;
    r.bg_count = BG_FRAMES;
    r.bg_sent = 1;
    r.into = &host_frame;
    CHECK(run(lv, AS_ASKED, &r) == VIDKOMPY_EOF);
    CHECK(r.out == FG_FRAMES);
    CHECK(r.wrong_order == 0 && r.wrong_bg == 0 && r.wrong_pts == 0 && r.outside == 0);
    CHECK(r.wrong_pixels == 0);
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
}

/* The host stops after 20 fg and 40 bg frames: every fg frame sent comes out, exact. */
static void stops_early(void) {
    VidkompySettings *s = live_settings();
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    set_true_placement(lv);
    Run r;
    memset(&r, 0, sizeof r);
    r.fg_count = 20;
    r.bg_count = 40;
    CHECK(run(lv, AS_ASKED, &r) == VIDKOMPY_EOF);
    CHECK(r.out == 20 && r.wrong_bg == 0 && r.wrong_order == 0);
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
}

/* The cancel flag, set with an atomic store after 30 bg frames (as a host's UI thread would):
 * the next send answers CANCELLED, everything held is let go, later calls BAD_STATE. A flag
 * that is not an aligned int, or no handle, is refused. */
static void cancelled(void) {
    static int flag[2];
    VidkompySettings *s = live_settings();
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    CHECK(vidkompy_live_set_cancel_flag(lv, (const int *)((const char *)flag + 1)) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_live_set_cancel_flag(NULL, &flag[0]) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_live_set_cancel_flag(lv, &flag[0]) == VIDKOMPY_OK);
    set_true_placement(lv);
    int status = VIDKOMPY_OK, sent = 0;
    for (int j = 0; j < BG_FRAMES && status != VIDKOMPY_ERROR_CANCELLED; j++) {
        if (j == 30) __atomic_store_n(&flag[0], 1, __ATOMIC_RELAXED);
        VidkompyFrame f = bg_frame(j);
        status = vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, &f);
        sent += status == VIDKOMPY_OK;
    }
    CHECK(status == VIDKOMPY_ERROR_CANCELLED && sent <= 30);
    CHECK(vidkompy_live_held_bytes(lv) == 0);
    VidkompyFrame f = fg_frame(0);
    CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(strstr(vidkompy_live_last_error(lv), "cancelled") != NULL);
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
}

static void bad_calls(void) {
    VidkompyFrame out;
    CHECK(vidkompy_live_new(NULL, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    /* The constructor's message reaches a host that reads no thread-local state. */
    VidkompyError err;
    CHECK(vidkompy_live_new_ex(NULL, NULL, &err) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(err.status == VIDKOMPY_ERROR_INVALID_ARGUMENT && strstr(err.message, "out is NULL") != NULL);
    CHECK(vidkompy_live_receive(NULL, &out) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_live_wants(NULL) == VIDKOMPY_STREAM_NONE);
    CHECK(vidkompy_live_held_bytes(NULL) == 0);
    CHECK(strcmp(vidkompy_live_last_error(NULL), "") == 0);
    vidkompy_live_free(NULL);
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(NULL, &lv) == VIDKOMPY_OK);
    VidkompyFrame f = fg_frame(0);
    CHECK(vidkompy_live_send(lv, 7, &f) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_live_receive(lv, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_live_last_frame(lv, NULL, NULL, NULL) == VIDKOMPY_ERROR_BAD_STATE);
    CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_FG, &f) == VIDKOMPY_OK);
    /* A frame of another size than the stream's first. */
    VidkompyFrame other = bg_frame(0);
    CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_FG, &other) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK(strlen(vidkompy_live_last_error(lv)) > 0);
    /* Before the lock there is no placement or offset yet; after the first frame a placement
     * cannot be set. */
    VidkompyPlacement p;
    CHECK(vidkompy_live_placement(lv, &p) == VIDKOMPY_AGAIN);
    double offset = -1.0;
    CHECK(vidkompy_live_offset_seconds(lv, &offset) == VIDKOMPY_AGAIN && offset == -1.0);
    CHECK(vidkompy_live_offset_seconds(lv, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    memset(&p, 0, sizeof p);
    p.x = FX;
    p.y = FY;
    p.width = FW;
    p.height = FH;
    p.scale = 1.0;
    p.content_width = FW;
    p.content_height = FH;
    CHECK(vidkompy_live_set_placement(lv, &p) == VIDKOMPY_ERROR_BAD_STATE);
    vidkompy_live_free(&lv);
}

/* Sends what the session asks for (fg frame k from `fg_of`, bg frame k of the scene, then each
 * stream's end) and receives, until a call answers neither OK nor AGAIN: returns that answer,
 * with the frames received in *out. */
static int drive(VidkompyLive *lv, VidkompyFrame (*fg_of)(int), int fg_count, int *out) {
    int sent[2] = {0, 0};
    *out = 0;
    for (int step = 0; step < 100000; step++) {
        VidkompyFrame o;
        int status = vidkompy_live_receive(lv, &o);
        if (status == VIDKOMPY_OK) {
            (*out)++;
            continue;
        }
        if (status != VIDKOMPY_AGAIN) return status;
        int wants = vidkompy_live_wants(lv), is_bg = wants == VIDKOMPY_STREAM_BG;
        int k = sent[is_bg], more = k < (is_bg ? (int)BG_FRAMES : fg_count);
        VidkompyFrame f = is_bg ? bg_frame(more ? k : 0) : fg_of(more ? k : 0);
        status = vidkompy_live_send(lv, wants, more ? &f : NULL);
        if (status != VIDKOMPY_OK && status != VIDKOMPY_AGAIN) return status;
        sent[is_bg] += status == VIDKOMPY_OK;
    }
    return VIDKOMPY_AGAIN;
}

/* fg frame i: the scene's for the first 12, then bg turned (footage bg lacks). */
static VidkompyFrame half_turned_fg(int i) {
    static uint8_t fy[FW * FH];
    VidkompyFrame f = fg_frame(i);
    if (i >= 12) {
        VidkompyFrame t = turned_bg(i);
        for (int y = 0; y < FH; y++) memcpy(fy + y * FW, t.data[0] + y * t.stride[0], FW);
        f.data[0] = fy;
        f.stride[0] = FW;
    }
    return f;
}

/* fg's first 12 frames are the scene's, its other 18 show bg turned (footage bg lacks): every
 * frame comes out, then NO_MATCH, since fewer than min_matched_share (half) found a
 * counterpart. */
static void too_few_matched(void) {
    VidkompySettings *s = live_settings();
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    set_true_placement(lv);
    int out = 0, status = drive(lv, half_turned_fg, FG_FRAMES, &out);
    if (status != VIDKOMPY_ERROR_NO_MATCH) fprintf(stderr, "too few matched: %d, %d out: %s\n", status, out, vidkompy_live_last_error(lv));
    CHECK(status == VIDKOMPY_ERROR_NO_MATCH);
    CHECK(out == FG_FRAMES);
    CHECK(strstr(vidkompy_live_last_error(lv), "no counterpart") != NULL);
    CHECK(vidkompy_live_held_bytes(lv) == 0);
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
}

/* The window's bytes are bounded by "live_memory_mib" at any frame size: 4K bg frames whose
 * window would need more are refused with UNSUPPORTED at the first send that shows it, and
 * nothing stays held. */
static void memory_budget(void) {
    enum { W4K = 3840, H4K = 2160 };
    static uint8_t plane[W4K * H4K];
    VidkompySettings *s = NULL;
    CHECK(vidkompy_settings_new(&s) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "live_memory_mib", "64") == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "live_memory_mib", "8") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    VidkompyFrame fg = fg_frame(0), bg;
    memset(&bg, 0, sizeof bg);
    bg.format = VIDKOMPY_PIXEL_FORMAT_GRAY8;
    bg.width = W4K;
    bg.height = H4K;
    bg.data[0] = plane;
    bg.stride[0] = W4K;
    bg.time_base_num = 1;
    bg.time_base_den = 25;
    CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_OK);
    CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_ERROR_UNSUPPORTED);
    CHECK(strstr(vidkompy_live_last_error(lv), "live_memory_mib") != NULL);
    CHECK(vidkompy_live_held_bytes(lv) == 0);
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
}

/* fg sped up 2 times (fg frame i shows bg frame 4 + 2i, at fg's own 25 fps timestamps): the
 * session follows the timestamps' rate, so the header promises VIDKOMPY_ERROR_UNSUPPORTED
 * naming the speed rather than frames decided off the pictures (two passes map such a fg). A
 * lag of 24 gives the start analysis the 25 fg frames a speed is measured over. */
enum { SPED = 26 };
static FgFrame sped_frames[SPED];

static VidkompyFrame sped_fg(int i) {
    return i420(sped_frames[i].y, sped_frames[i].u, sped_frames[i].v, FW, FH, i);
}

static void sped_up(void) {
    for (int i = 0; i < SPED; i++) {
        const BgFrame *src = &bg_frames[4 + 2 * i];
        for (int y = 0; y < FH; y++)
            for (int x = 0; x < FW; x++)
                sped_frames[i].y[y * FW + x] = clamp8(src->y[(y + FY) * BW + x + FX] * 0.9 + 20.0);
        memset(sped_frames[i].u, 90, sizeof sped_frames[i].u);
        memset(sped_frames[i].v, 160, sizeof sped_frames[i].v);
    }
    VidkompySettings *s = NULL;
    CHECK(vidkompy_settings_new(&s) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "live_lag", "24") == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "band", "8") == VIDKOMPY_OK);
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    int out = 0, status = drive(lv, sped_fg, SPED, &out);
    CHECK(status == VIDKOMPY_ERROR_UNSUPPORTED);
    CHECK(strstr(vidkompy_live_last_error(lv), "speed") != NULL);
    CHECK(out == 0);
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
}

int main(void) {
    make_frames();
    memory_budget();
    /* Under valgrind (VIDKOMPY_C_TEST_SHORT set by CI), where every start analysis costs
     * minutes, the placement is given (one order, an early stop, streams that never meet);
     * the unwrapped run does everything. */
    int short_run = getenv("VIDKOMPY_C_TEST_SHORT") != NULL;
    bad_calls();
    cancelled();
    for (int order = 0; order < ORDERS; order++) {
        if (short_run && order != AS_ASKED) continue;
        every_order(order, 1);
        if (!short_run) every_order(order, 0);
    }
    stops_early();
    too_few_matched();
    never_meet(1, 0);
    never_meet(1, 1);
    if (!short_run) never_meet(0, 0);
    into_host_frame();
    scouted_first_window(0);
    if (!short_run) scouted_first_window(1);
    if (!short_run) sped_up();
    return finish("test_live");
}
