/* Pairs made from the real clips, pushed through the C API as a host would, from the header
 * alone: each true pair must be matched with its placement and every fg frame on its bg
 * frame; each pair that does not match must be refused with VIDKOMPY_ERROR_NO_MATCH and a
 * message with the evidence. tests/c_api.rs writes the frames (raw 8-bit luma, 25 fps) and
 * a list of the pairs into the folder given as the only argument:
 *   NAME FG_W FG_H FG_FRAMES BG_W BG_H BG_FRAMES EXPECT [X Y FIRST_BG]
 * EXPECT is "match" (fg frame i is bg frame FIRST_BG + i, fg at (X, Y)) or "refuse". */
#include "../c/check.h"
#include "vidkompy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int width, height, frames;
    uint8_t *pixels;
} Clip;

static int load(const char *dir, const char *name, const char *stream, int w, int h, int n, Clip *clip) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, stream);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t bytes = (size_t)w * (size_t)h * (size_t)n;
    clip->pixels = (uint8_t *)malloc(bytes);
    size_t got = clip->pixels ? fread(clip->pixels, 1, bytes, f) : 0;
    fclose(f);
    clip->width = w;
    clip->height = h;
    clip->frames = n;
    return got == bytes;
}

static VidkompyFrame frame_of(const Clip *clip, int k) {
    VidkompyFrame f;
    memset(&f, 0, sizeof f);
    f.format = VIDKOMPY_PIXEL_FORMAT_GRAY8;
    f.width = clip->width;
    f.height = clip->height;
    f.data[0] = clip->pixels + (size_t)k * (size_t)clip->width * (size_t)clip->height;
    f.stride[0] = clip->width;
    f.pts = k;
    f.time_base_num = 1;
    f.time_base_den = 25;
    return f;
}

/* Pushes fg and bg interleaved by time, as a host decoding both at once would. */
static int analyse(const Clip *fg, const Clip *bg, VidkompyAnalyzer *an) {
    int i = 0, j = 0;
    while (i < fg->frames || j < bg->frames) {
        int take_fg = i < fg->frames && (j >= bg->frames || i <= j);
        VidkompyFrame f = take_fg ? frame_of(fg, i++) : frame_of(bg, j++);
        int r = vidkompy_analyzer_push(an, take_fg ? VIDKOMPY_STREAM_FG : VIDKOMPY_STREAM_BG, &f);
        if (r != VIDKOMPY_OK) return r;
    }
    return VIDKOMPY_OK;
}

static void check_pair(const char *dir, const char *line) {
    char name[256], expect[16];
    int fw, fh, fn, bw, bh, bn, x = 0, y = 0, first = 0;
    int fields = sscanf(line, "%255s %d %d %d %d %d %d %15s %d %d %d", name, &fw, &fh, &fn, &bw, &bh, &bn, expect, &x,
                        &y, &first);
    CHECK(fields == 8 || fields == 11);
    if (fields != 8 && fields != 11) return;
    Clip fg = {0, 0, 0, NULL}, bg = {0, 0, 0, NULL};
    CHECK(load(dir, name, "fg", fw, fh, fn, &fg));
    CHECK(load(dir, name, "bg", bw, bh, bn, &bg));
    VidkompyAnalyzer *an = NULL;
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    CHECK(analyse(&fg, &bg, an) == VIDKOMPY_OK);
    VidkompyAlignment *al = NULL;
    int status = vidkompy_analyzer_finish(an, &al);
    if (strcmp(expect, "refuse") == 0) {
        if (status != VIDKOMPY_ERROR_NO_MATCH) fprintf(stderr, "%s: status %d, not NO_MATCH\n", name, status);
        CHECK(status == VIDKOMPY_ERROR_NO_MATCH);
        const char *why = vidkompy_analyzer_last_error(an);
        CHECK(why != NULL && (strstr(why, "no counterpart") || strstr(why, "chance") || strstr(why, "score")));
        CHECK(al == NULL);
    } else {
        if (status != VIDKOMPY_OK) fprintf(stderr, "%s: %s\n", name, vidkompy_analyzer_last_error(an));
        CHECK(status == VIDKOMPY_OK);
        VidkompyPlacement p;
        if (status == VIDKOMPY_OK && vidkompy_alignment_placement(al, &p) == VIDKOMPY_OK) {
            if (p.x != x || p.y != y) fprintf(stderr, "%s: placed at (%d, %d)\n", name, (int)p.x, (int)p.y);
            CHECK(p.x == x && p.y == y);
            int exact = 0;
            for (int i = 0; i < fn; i++) {
                uint32_t j = 0;
                int outside = 1;
                if (vidkompy_alignment_bg_index(al, (size_t)i, &j, &outside) == VIDKOMPY_OK && !outside &&
                    (int)j == first + i)
                    exact++;
            }
            if (exact != fn) fprintf(stderr, "%s: %d of %d frames exact\n", name, exact, fn);
            CHECK(exact == fn);
            CHECK(vidkompy_alignment_confidence(al) >= 0.8);
            CHECK(vidkompy_alignment_placement_confidence(al) >= 0.8);
        }
    }
    vidkompy_alignment_free(&al);
    vidkompy_analyzer_free(&an);
    free(fg.pixels);
    free(bg.pixels);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    if (argc != 2) return finish("test_real_pairs");
    char path[1024];
    snprintf(path, sizeof path, "%s/pairs.txt", argv[1]);
    FILE *list = fopen(path, "r");
    CHECK(list != NULL);
    if (!list) return finish("test_real_pairs");
    char line[512];
    int pairs = 0;
    while (fgets(line, sizeof line, list)) {
        check_pair(argv[1], line);
        pairs++;
    }
    fclose(list);
    CHECK(pairs >= 4);
    return finish("test_real_pairs");
}
