/* The synthetic scene shared by the C tests: bg is a panning texture with a bright bar
 * sweeping across it (motion no shift can imitate, so placement and time are unambiguous); fg
 * is a graded crop of bg frames OFFSET.. at (FX, FY), at the same rate (time base 1/25, pts =
 * frame index). Call make_frames() once. */
#ifndef VIDKOMPY_TEST_SCENE_H
#define VIDKOMPY_TEST_SCENE_H

#include "vidkompy.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { BW = 256, BH = 144, FW = 128, FH = 72, FX = 50, FY = 30, BG_FRAMES = 60, FG_FRAMES = 30, OFFSET = 14 };

/* The world: one texture, computed once; frame t looks at it shifted by (3t, t). */
enum { TW = BW + 3 * BG_FRAMES, TH = BH + BG_FRAMES };
static uint8_t world[TH][TW];

static void make_world(void) {
    for (int y = 0; y < TH; y++)
        for (int x = 0; x < TW; x++) {
            double v = 120.0 + 45.0 * sin(x / 9.0) * cos(y / 6.0) + 30.0 * sin((x + 2.0 * y) / 15.0) + 20.0 * cos(x / 23.0);
            world[y][x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
        }
}

/* The pan plus a bright bar sweeping across the view: motion that no shift of the world can
 * imitate, so placement and time are unambiguous. */
static uint8_t picture(int x, int y, int t) {
    int bar = (x + y / 2 - 7 * t) & 63;
    int v = world[y + t][x + 3 * t] + (bar < 6 ? 60 : 0);
    return (uint8_t)(v > 255 ? 255 : v);
}

typedef struct {
    uint8_t y[BW * BH], u[(BW / 2) * (BH / 2)], v[(BW / 2) * (BH / 2)];
} BgFrame;

typedef struct {
    uint8_t y[FW * FH], u[(FW / 2) * (FH / 2)], v[(FW / 2) * (FH / 2)];
} FgFrame;

static BgFrame bg_frames[BG_FRAMES];
static FgFrame fg_frames[FG_FRAMES];

static uint8_t clamp8(double v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5); }

static VidkompyFrame i420(uint8_t *y, uint8_t *u, uint8_t *v, int w, int h, int64_t pts) {
    VidkompyFrame f;
    memset(&f, 0, sizeof f);
    f.format = VIDKOMPY_PIXEL_FORMAT_I420;
    f.width = w;
    f.height = h;
    f.data[0] = y;
    f.data[1] = u;
    f.data[2] = v;
    f.stride[0] = w;
    f.stride[1] = w / 2;
    f.stride[2] = w / 2;
    f.pts = pts;
    f.time_base_num = 1;
    f.time_base_den = 25;
    return f;
}

static inline VidkompyFrame bg_frame(int j) { return i420(bg_frames[j].y, bg_frames[j].u, bg_frames[j].v, BW, BH, j); }
static inline VidkompyFrame fg_frame(int i) { return i420(fg_frames[i].y, fg_frames[i].u, fg_frames[i].v, FW, FH, i); }

/* fg's true placement in bg (what a host that knows it gives instead of a search). */
static inline VidkompyPlacement scene_placement(void) {
    VidkompyPlacement p;
    memset(&p, 0, sizeof p);
    p.x = FX;
    p.y = FY;
    p.width = FW;
    p.height = FH;
    p.scale = 1.0;
    p.confidence = 1.0;
    p.content_width = FW;
    p.content_height = FH;
    return p;
}

static void make_frames(void) {
    make_world();
    for (int t = 0; t < BG_FRAMES; t++) {
        for (int y = 0; y < BH; y++)
            for (int x = 0; x < BW; x++) bg_frames[t].y[y * BW + x] = picture(x, y, t);
        memset(bg_frames[t].u, 100, sizeof bg_frames[t].u);
        memset(bg_frames[t].v, 150, sizeof bg_frames[t].v);
    }
    for (int i = 0; i < FG_FRAMES; i++) {
        const BgFrame *src = &bg_frames[i + OFFSET];
        for (int y = 0; y < FH; y++)
            for (int x = 0; x < FW; x++)
                fg_frames[i].y[y * FW + x] = clamp8(src->y[(y + FY) * BW + x + FX] * 0.9 + 20.0);
        memset(fg_frames[i].u, 90, sizeof fg_frames[i].u);
        memset(fg_frames[i].v, 160, sizeof fg_frames[i].v);
    }
}

#endif
