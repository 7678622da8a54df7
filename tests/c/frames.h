/* Frame descriptions shared by the C tests. */
#ifndef VIDKOMPY_TEST_FRAMES_H
#define VIDKOMPY_TEST_FRAMES_H

#include "vidkompy.h"

#include <stdint.h>
#include <string.h>

/* A Gray8 frame over `data` (rows `stride` bytes apart), at pts `pts` in 1/25 s. */
static inline VidkompyFrame gray8_frame(uint8_t *data, int width, int height, int stride, int64_t pts) {
    VidkompyFrame f;
    memset(&f, 0, sizeof f);
    f.format = VIDKOMPY_PIXEL_FORMAT_GRAY8;
    f.width = width;
    f.height = height;
    f.data[0] = data;
    f.stride[0] = stride;
    f.pts = pts;
    f.time_base_num = 1;
    f.time_base_den = 25;
    return f;
}

#endif
