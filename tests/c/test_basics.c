/* Basic C ABI checks: version, status strings, settings keys, frame validation, NULL handling. */
#include "vidkompy.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_ERR_CONTAINS(text)                                                     \
    do {                                                                             \
        const char *msg_ = vidkompy_last_error();                                    \
        if (strstr(msg_, (text)) == NULL) {                                          \
            fprintf(stderr, "%s:%d: last error '%s' lacks '%s'\n", __FILE__, __LINE__, msg_, (text)); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

static void test_version(void) {
    uint32_t v = vidkompy_version();
    CHECK((v >> 16) == VIDKOMPY_VERSION_MAJOR);
    CHECK(((v >> 8) & 0xff) == VIDKOMPY_VERSION_MINOR);
    CHECK((v & 0xff) == VIDKOMPY_VERSION_PATCH);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", VIDKOMPY_VERSION_MAJOR, VIDKOMPY_VERSION_MINOR, VIDKOMPY_VERSION_PATCH);
    CHECK(strcmp(vidkompy_version_string(), want) == 0);
}

static void test_status_strings(void) {
    CHECK(strcmp(vidkompy_status_str(VIDKOMPY_OK), "success") == 0);
    CHECK(strcmp(vidkompy_status_str(VIDKOMPY_EOF), "end of stream") == 0);
    CHECK(strstr(vidkompy_status_str(VIDKOMPY_ERROR_NO_MATCH), "no match") != NULL);
    CHECK(strcmp(vidkompy_status_str(12345), "unknown status") == 0);
    int codes[] = {VIDKOMPY_OK, VIDKOMPY_AGAIN, VIDKOMPY_EOF, VIDKOMPY_ERROR_INVALID_ARGUMENT,
                   VIDKOMPY_ERROR_INVALID_FRAME, VIDKOMPY_ERROR_UNSUPPORTED, VIDKOMPY_ERROR_NO_MATCH,
                   VIDKOMPY_ERROR_BAD_STATE, VIDKOMPY_ERROR_IO, VIDKOMPY_ERROR_INVALID_DATA,
                   VIDKOMPY_ERROR_INTERNAL};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(strcmp(vidkompy_status_str(codes[i]), "unknown status") != 0);
        for (size_t j = 0; j < i; j++) CHECK(codes[i] != codes[j]);
    }
}

static void test_settings(void) {
    VidkompySettings *s = NULL;
    CHECK(vidkompy_settings_new(NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_new(&s) == VIDKOMPY_OK);
    CHECK(s != NULL);
    CHECK(strcmp(vidkompy_settings_last_error(s), "") == 0);

    const char *keys[][2] = {{"min_confidence", "0.7"}, {"scale_search", "auto"}, {"scale_min", "0.6"},
                             {"scale_max", "1.5"},     {"feather", "4"},         {"color_matrix", "bt601"},
                             {"band", "10"},           {"live_lag", "12"},       {"placement_samples", "3"},
                             {"rate_penalty", "0.1"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        CHECK(vidkompy_settings_set(s, keys[i][0], keys[i][1]) == VIDKOMPY_OK);
        CHECK(vidkompy_settings_set(s, keys[i][0], "bogus") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
        CHECK(strstr(vidkompy_settings_last_error(s), keys[i][0]) != NULL);
    }
    CHECK(vidkompy_settings_set(s, "no_such_key", "1") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK_ERR_CONTAINS("unknown settings key 'no_such_key'");
    CHECK(strstr(vidkompy_settings_last_error(s), "no_such_key") != NULL);
    CHECK(vidkompy_settings_set(s, NULL, "1") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK_ERR_CONTAINS("key is NULL");
    CHECK(vidkompy_settings_set(s, "band", NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK_ERR_CONTAINS("value is NULL");
    CHECK(vidkompy_settings_set(NULL, "band", "3") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK_ERR_CONTAINS("settings is NULL");
    CHECK(vidkompy_settings_set(s, "min_confidence", "1.5") == VIDKOMPY_ERROR_INVALID_ARGUMENT);

    CHECK(vidkompy_settings_set_min_confidence(s, 0.5) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set_min_confidence(s, -0.5) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_set_scale_search(s, 1) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set_scale_search(s, 7) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_set_feather(s, 16) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set_feather(s, -1) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_set_color_matrix(s, VIDKOMPY_COLOR_MATRIX_BT709) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set_color_matrix(s, 9) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_set_band(s, 0) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_set_live_lag(s, 5) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set_min_confidence(NULL, 0.5) == VIDKOMPY_ERROR_INVALID_ARGUMENT);

    vidkompy_settings_free(&s);
    CHECK(s == NULL);
    vidkompy_settings_free(&s);
    vidkompy_settings_free(NULL);
}

static VidkompyFrame i420_frame(uint8_t *y, uint8_t *u, uint8_t *v, int w, int h) {
    VidkompyFrame f;
    memset(&f, 0, sizeof f);
    f.format = VIDKOMPY_PIXEL_FORMAT_I420;
    f.width = w;
    f.height = h;
    f.data[0] = y;
    f.data[1] = u;
    f.data[2] = v;
    f.stride[0] = w;
    f.stride[1] = (w + 1) / 2;
    f.stride[2] = (w + 1) / 2;
    return f;
}

static void test_frames(void) {
    static uint8_t y[64 * 48], u[32 * 24], v[32 * 24];
    VidkompyFrame f = i420_frame(y, u, v, 64, 48);
    CHECK(vidkompy_frame_validate(&f) == VIDKOMPY_OK);

    /* Bottom-up: data points at the last row, negative stride. */
    VidkompyFrame up = f;
    up.data[0] = y + 47 * 64;
    up.stride[0] = -64;
    up.data[1] = u + 23 * 32;
    up.stride[1] = -32;
    CHECK(vidkompy_frame_validate(&up) == VIDKOMPY_OK);

    /* Odd size: chroma is ceil(w/2) x ceil(h/2). */
    VidkompyFrame odd = i420_frame(y, u, v, 63, 47);
    CHECK(vidkompy_frame_validate(&odd) == VIDKOMPY_OK);

    CHECK(vidkompy_frame_validate(NULL) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK_ERR_CONTAINS("frame is NULL");

    VidkompyFrame bad = f;
    bad.format = 99;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK_ERR_CONTAINS("unknown pixel format 99");

    bad = f;
    bad.width = 0;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK_ERR_CONTAINS("zero size");

    bad = f;
    bad.height = -4;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK_ERR_CONTAINS("negative height");

    bad = f;
    bad.width = 100000;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK_ERR_CONTAINS("exceeds the maximum");

    bad = f;
    bad.data[2] = NULL;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK_ERR_CONTAINS("plane 2 is missing");

    bad = f;
    bad.stride[0] = 10;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK_ERR_CONTAINS("plane 0 stride 10 is smaller");

    bad = f;
    bad.format = VIDKOMPY_PIXEL_FORMAT_P010;
    bad.stride[0] = 129;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK_ERR_CONTAINS("is not a multiple of the 2-byte sample");
    /* Float RGBA: strides are whole 4-byte samples. */
    bad.format = VIDKOMPY_PIXEL_FORMAT_RGBAF32;
    bad.width = 8; /* rows of 128 bytes, within y's plane */
    bad.height = 2;
    bad.stride[0] = 130;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_ERROR_INVALID_FRAME);
    CHECK_ERR_CONTAINS("is not a multiple of the 4-byte sample");

    /* Unused plane pointers are ignored: gray needs one plane only. */
    bad = f;
    bad.format = VIDKOMPY_PIXEL_FORMAT_GRAY8;
    bad.data[1] = NULL;
    bad.data[2] = NULL;
    CHECK(vidkompy_frame_validate(&bad) == VIDKOMPY_OK);
}

int main(void) {
    test_version();
    test_status_strings();
    test_settings();
    test_frames();
    return finish("test_basics");
}
