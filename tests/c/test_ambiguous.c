/* A repetitive picture from C: a tiled texture scrolling a pixel a frame, with a faint blob
 * drifting over it, makes many placements and starts look alike. vidkompy_analyzer_finish
 * answers VIDKOMPY_ERROR_AMBIGUOUS naming both places (before: a lookalike placement and a
 * start 79 frames early, with OK). */
#include "vidkompy.h"
#include "check.h"
#include "frames.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BW = 640, BH = 360, FW = 320, FH = 180, FX = 112, FY = 66, TILE = 25, BG_FRAMES = 300, START = 150, FG_FRAMES = 100 };

static uint8_t frame_y[BW * BH];
static uint8_t crop_y[FW * FH];

static double tile_value(int x, int y) {
    uint64_t h = (uint64_t)((x % TILE) * 7919 + (y % TILE) * 104729);
    h = (h * 0x9E3779B97F4A7C15ull) >> 56;
    return 60.0 + (double)h * 0.5;
}

/* bg frame t: the tiles moved t pixels left, the blob drifted. */
static void draw(int t) {
    double bx = 100.0 + 1.3 * t, by = 120.0 + 0.4 * t;
    for (int y = 0; y < BH; y++) {
        for (int x = 0; x < BW; x++) {
            double d2 = ((x - bx) * (x - bx) + (y - by) * (y - by)) / (2.0 * 60.0 * 60.0);
            double v = tile_value(x + t, y) + 20.0 * exp(-d2);
            frame_y[y * BW + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

int main(void) {
    /* Under valgrind (VIDKOMPY_C_TEST_SHORT set by CI) the placement search this test is about
     * costs minutes: it runs unwrapped only. */
    if (getenv("VIDKOMPY_C_TEST_SHORT") != NULL) {
        printf("test_ambiguous: the placement search runs unwrapped only (VIDKOMPY_C_TEST_SHORT)\n");
        return finish("test_ambiguous");
    }
    VidkompyAnalyzer *an = NULL;
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    for (int t = 0; t < BG_FRAMES; t++) {
        draw(t);
        VidkompyFrame bg = gray8_frame(frame_y, BW, BH, BW, t);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &bg) == VIDKOMPY_OK);
        if (t >= START && t < START + FG_FRAMES) {
            for (int y = 0; y < FH; y++) memcpy(&crop_y[y * FW], &frame_y[(y + FY) * BW + FX], FW);
            VidkompyFrame fg = gray8_frame(crop_y, FW, FH, FW, t - START);
            CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &fg) == VIDKOMPY_OK);
        }
    }
    CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, NULL) == VIDKOMPY_OK);
    CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, NULL) == VIDKOMPY_OK);
    VidkompyAlignment *al = NULL;
    int status = vidkompy_analyzer_finish(an, &al);
    const char *message = vidkompy_analyzer_last_error(an);
    printf("finish: %d %s\n", status, message);
    CHECK(status == VIDKOMPY_ERROR_AMBIGUOUS);
    CHECK(al == NULL);
    CHECK(strstr(message, "two placements score alike") != NULL);
    CHECK(strcmp(vidkompy_status_str(VIDKOMPY_ERROR_AMBIGUOUS), "ambiguous: two answers score alike") == 0);
    vidkompy_alignment_free(&al);
    vidkompy_analyzer_free(&an);
    return finish("test_ambiguous");
}
