/* vidkompy_locate from C: a crop of a generated picture is found at its exact position;
 * unrelated noise is NO_MATCH with the score in the message; bad arguments are errors. */
#include "vidkompy.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { BW = 320, BH = 180, FW = 160, FH = 90, FX = 77, FY = 41 };

static uint8_t bg_y[BW * BH], bg_u[(BW / 2) * (BH / 2)], bg_v[(BW / 2) * (BH / 2)];
static uint8_t fg_rgba[FW * FH * 4];
static uint8_t noise_rgba[FW * FH * 4];

static double picture(int x, int y) {
    return 120.0 + 50.0 * sin(x / 11.0) * cos(y / 7.0) + 30.0 * sin((x + 2 * y) / 17.0) + 0.15 * x;
}

static VidkompyFrame rgba_frame(uint8_t *data) {
    VidkompyFrame f;
    memset(&f, 0, sizeof f);
    f.format = VIDKOMPY_PIXEL_FORMAT_RGBA;
    f.width = FW;
    f.height = FH;
    f.data[0] = data;
    f.stride[0] = FW * 4;
    return f;
}

int main(void) {
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) bg_y[y * BW + x] = (uint8_t)picture(x, y);
    memset(bg_u, 128, sizeof bg_u);
    memset(bg_v, 128, sizeof bg_v);
    /* fg: the crop at (FX, FY), as grey RGBA, brighter and with more contrast. */
    unsigned state = 12345;
    for (int y = 0; y < FH; y++) {
        for (int x = 0; x < FW; x++) {
            double v = (picture(x + FX, y + FY) - 128.0) * 1.2 + 140.0;
            uint8_t g = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            uint8_t *p = &fg_rgba[(y * FW + x) * 4];
            p[0] = p[1] = p[2] = g;
            p[3] = 255;
            state = state * 1103515245u + 12345u;
            uint8_t *q = &noise_rgba[(y * FW + x) * 4];
            q[0] = q[1] = q[2] = (uint8_t)(state >> 16);
            q[3] = 255;
        }
    }
    VidkompyFrame bg;
    memset(&bg, 0, sizeof bg);
    bg.format = VIDKOMPY_PIXEL_FORMAT_I420;
    bg.width = BW;
    bg.height = BH;
    bg.data[0] = bg_y;
    bg.data[1] = bg_u;
    bg.data[2] = bg_v;
    bg.stride[0] = BW;
    bg.stride[1] = BW / 2;
    bg.stride[2] = BW / 2;
    VidkompyFrame fg = rgba_frame(fg_rgba);

    VidkompyPlacement p;
    memset(&p, 0, sizeof p);
    int status = vidkompy_locate(NULL, &fg, 1, &bg, 1, &p);
    if (status != VIDKOMPY_OK) fprintf(stderr, "locate: %s\n", vidkompy_last_error());
    CHECK(status == VIDKOMPY_OK);
    CHECK(p.x == FX && p.y == FY);
    CHECK(p.width == FW && p.height == FH);
    CHECK(p.scale == 1.0);
    CHECK(p.confidence > 0.95);

    VidkompySettings *s = NULL;
    CHECK(vidkompy_settings_new(&s) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "min_confidence", "0.5") == VIDKOMPY_OK);
    VidkompyFrame noise = rgba_frame(noise_rgba);
    VidkompyPlacement unchanged = p;
    status = vidkompy_locate(s, &noise, 1, &bg, 1, &p);
    CHECK(status == VIDKOMPY_ERROR_NO_MATCH);
    CHECK(strstr(vidkompy_last_error(), "below min_confidence 0.500") != NULL);
    CHECK(memcmp(&p, &unchanged, sizeof p) == 0);

    CHECK(vidkompy_locate(s, &fg, 1, &bg, 1, NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_locate(s, NULL, 1, &bg, 1, &p) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_locate(s, &fg, 0, &bg, 1, &p) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    VidkompyFrame broken = fg;
    broken.stride[0] = 3;
    CHECK(vidkompy_locate(s, &broken, 1, &bg, 1, &p) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vidkompy_last_error(), "fg_samples: invalid frame") != NULL);
    /* fg larger than bg, with scale 1 pinned (the default scale search would try it shrunk). */
    CHECK(vidkompy_settings_set_scale_search(s, 0) == VIDKOMPY_OK);
    CHECK(vidkompy_locate(s, &bg, 1, &fg, 1, &p) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    vidkompy_settings_free(&s);

    return finish("test_locate");
}
