/* The placement families from C, header only, with no placement given and a frame provider:
 * fg shown at scale 2 and at scale 0.5 in bg (default settings: the scale is searched),
 * letterboxed fg (the content box is reported), fg with an opaque box over 15 % of it that bg
 * lacks, and a 10-bit fg (I420P10) over the 8-bit bg. Each must give the exact position, the
 * scale within 0.5 % and every frame of the time map exact. fg and bg are pushed interleaved by
 * pts (fg's pts start at 0 while its content starts at bg frame OFFSET). */
#include "check.h"
#include "scene.h"

#include <stdio.h>
#include <stdlib.h>

enum { MAX_FW = 2 * 112, MAX_FH = 2 * 64 };

/* One family's fg: frames of one format and size, planes of 16-bit or 8-bit samples. */
typedef struct {
    const char *name;
    int format, width, height, bytes_per_sample;
    uint8_t *planes[FG_FRAMES][3];
    /* Where fg's content box sits in bg, its scale, and the box inside fg. */
    int x, y;
    double scale;
    unsigned content_x, content_y;
} Family;

static void init(Family *f, const char *name, int format, int width, int height, int bytes_per_sample, double scale) {
    memset(f, 0, sizeof *f);
    f->name = name;
    f->format = format;
    f->width = width;
    f->height = height;
    f->bytes_per_sample = bytes_per_sample;
    f->x = FX;
    f->y = FY;
    f->scale = scale;
}

static int plane_width(const Family *f, int p) { return p == 0 ? f->width : (f->width + 1) / 2; }
static int plane_height(const Family *f, int p) { return p == 0 ? f->height : (f->height + 1) / 2; }

static void allocate(Family *f) {
    for (int i = 0; i < FG_FRAMES; i++)
        for (int p = 0; p < 3; p++) {
            size_t size = (size_t)plane_width(f, p) * (size_t)plane_height(f, p) * (size_t)f->bytes_per_sample;
            f->planes[i][p] = (uint8_t *)malloc(size);
            CHECK(f->planes[i][p] != NULL);
            /* Neutral-ish chroma (fg's own grade of it does not matter to placement). */
            memset(f->planes[i][p], p == 0 ? 0 : 0x40, size);
        }
}

static void release(Family *f) {
    for (int i = 0; i < FG_FRAMES; i++)
        for (int p = 0; p < 3; p++) free(f->planes[i][p]);
}

static void set_luma(Family *f, int i, int x, int y, int v) {
    if (f->bytes_per_sample == 1) {
        f->planes[i][0][y * f->width + x] = (uint8_t)v;
    } else {
        uint16_t *row = (uint16_t *)(void *)f->planes[i][0];
        row[y * f->width + x] = (uint16_t)v;
    }
}

/* bg's luma at (x, y) of frame i's bg frame, graded as the scene grades fg. */
static int graded(int i, int x, int y) { return clamp8(bg_frames[i + OFFSET].y[y * BW + x] * 0.9 + 20.0); }

static VidkompyFrame family_frame(const Family *f, int i) {
    VidkompyFrame fr;
    memset(&fr, 0, sizeof fr);
    fr.format = f->format;
    fr.width = f->width;
    fr.height = f->height;
    for (int p = 0; p < 3; p++) {
        fr.data[p] = f->planes[i][p];
        fr.stride[p] = plane_width(f, p) * f->bytes_per_sample;
    }
    fr.pts = i;
    fr.time_base_num = 1;
    fr.time_base_den = 25;
    return fr;
}

static const Family *current;

static int provide(void *user, int stream, int64_t index, VidkompyFrame *frame) {
    int *calls = (int *)user;
    (*calls)++;
    if (stream == VIDKOMPY_STREAM_FG && index >= 0 && index < FG_FRAMES) {
        *frame = family_frame(current, (int)index);
        return 0;
    }
    if (stream == VIDKOMPY_STREAM_BG && index >= 0 && index < BG_FRAMES) {
        *frame = bg_frame((int)index);
        return 0;
    }
    return -1;
}

/* `given`: the placement is given (no search), which keeps a run under valgrind short. */
static void check_family(const Family *f, int given) {
    VidkompyAnalyzer *an = NULL;
    int calls = 0;
    current = f;
    CHECK(vidkompy_analyzer_new(NULL, &an) == VIDKOMPY_OK);
    CHECK(vidkompy_analyzer_set_frame_provider(an, provide, &calls) == VIDKOMPY_OK);
    if (given) {
        VidkompyPlacement p;
        memset(&p, 0, sizeof p);
        p.x = f->x;
        p.y = f->y;
        p.scale = f->scale;
        p.width = (uint32_t)(FW * f->scale + 0.5);
        p.height = (uint32_t)(FH * f->scale + 0.5);
        p.content_width = FW;
        p.content_height = FH;
        p.confidence = 1.0;
        CHECK(vidkompy_analyzer_set_placement(an, &p) == VIDKOMPY_OK);
    }
    for (int j = 0; j < BG_FRAMES; j++) {
        VidkompyFrame b = bg_frame(j);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &b) == VIDKOMPY_OK);
        if (j < FG_FRAMES) {
            VidkompyFrame g = family_frame(f, j);
            CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &g) == VIDKOMPY_OK);
        }
    }
    VidkompyAlignment *al = NULL;
    int status = vidkompy_analyzer_finish(an, &al);
    if (status != VIDKOMPY_OK) fprintf(stderr, "%s: %s\n", f->name, vidkompy_analyzer_last_error(an));
    CHECK(status == VIDKOMPY_OK);
    /* The provider is asked only to check a placement the analyzer found. */
    CHECK(given || calls > 0);
    if (al) {
        VidkompyPlacement p;
        CHECK(vidkompy_alignment_placement(al, &p) == VIDKOMPY_OK);
        int placed = p.x == f->x && p.y == f->y && fabs(p.scale / f->scale - 1.0) <= 0.005 &&
                     p.content_x == f->content_x && p.content_y == f->content_y;
        if (!placed) fprintf(stderr, "%s: placement %d %d %g, content at %d %d\n", f->name, p.x, p.y, p.scale, p.content_x, p.content_y);
        CHECK(placed);
        int wrong = 0;
        for (size_t i = 0; i < FG_FRAMES; i++) {
            uint32_t j = 0;
            CHECK(vidkompy_alignment_bg_index(al, i, &j, NULL) == VIDKOMPY_OK);
            wrong += j != i + OFFSET;
        }
        if (wrong) fprintf(stderr, "%s: %d frames mapped wrong\n", f->name, wrong);
        CHECK(wrong == 0);
    }
    vidkompy_alignment_free(&al);
    vidkompy_analyzer_free(&an);
}

/* fg is bg's 128x72 region at (FX, FY) halved (2x2 means): bg shows it at scale 2. */
static void scale_two(Family *f) {
    init(f, "scale 2", VIDKOMPY_PIXEL_FORMAT_I420, FW / 2, FH / 2, 1, 2.0);
    allocate(f);
    for (int i = 0; i < FG_FRAMES; i++)
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++) {
                int sx = FX + 2 * x, sy = FY + 2 * y;
                int sum = graded(i, sx, sy) + graded(i, sx + 1, sy) + graded(i, sx, sy + 1) + graded(i, sx + 1, sy + 1);
                set_luma(f, i, x, y, (sum + 2) / 4);
            }
}

/* fg is bg's 112x64 region at (FX, FY) with each pixel doubled: bg shows it at scale 0.5. */
static void scale_half(Family *f) {
    init(f, "scale 0.5", VIDKOMPY_PIXEL_FORMAT_I420, MAX_FW, MAX_FH, 1, 0.5);
    allocate(f);
    for (int i = 0; i < FG_FRAMES; i++)
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++) set_luma(f, i, x, y, graded(i, FX + x / 2, FY + y / 2));
}

/* The scene's fg between black bars of 14 rows above and below. */
static void letterboxed(Family *f) {
    init(f, "letterbox", VIDKOMPY_PIXEL_FORMAT_I420, FW, FH + 28, 1, 1.0);
    f->content_y = 14;
    allocate(f);
    for (int i = 0; i < FG_FRAMES; i++)
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++) {
                int inside = y >= 14 && y < 14 + FH;
                set_luma(f, i, x, y, inside ? graded(i, FX + x, FY + y - 14) : 16);
            }
}

/* The scene's fg with an opaque grey box over 15 % of it (0.4 x 0.375) near its top right. */
static void boxed(Family *f) {
    init(f, "static box", VIDKOMPY_PIXEL_FORMAT_I420, FW, FH, 1, 1.0);
    allocate(f);
    int bw = FW * 2 / 5, bh = FH * 3 / 8;
    for (int i = 0; i < FG_FRAMES; i++)
        for (int y = 0; y < FH; y++)
            for (int x = 0; x < FW; x++) {
                int in_box = y >= 4 && y < 4 + bh && x >= FW - bw - 4 && x < FW - 4;
                set_luma(f, i, x, y, in_box ? 200 : graded(i, FX + x, FY + y));
            }
}

/* The scene's fg as I420P10: each sample times 4 plus two low bits the 8-bit picture lacks. */
static void ten_bit(Family *f) {
    init(f, "10-bit fg", VIDKOMPY_PIXEL_FORMAT_I420P10, FW, FH, 2, 1.0);
    allocate(f);
    for (int i = 0; i < FG_FRAMES; i++) {
        for (int y = 0; y < FH; y++)
            for (int x = 0; x < FW; x++) set_luma(f, i, x, y, graded(i, FX + x, FY + y) * 4 + (x + y + i) % 4);
        for (int p = 1; p < 3; p++) {
            uint16_t *c = (uint16_t *)(void *)f->planes[i][p];
            for (int k = 0; k < plane_width(f, p) * plane_height(f, p); k++) c[k] = 512;
        }
    }
}

int main(void) {
    make_frames();
    /* Under valgrind (VIDKOMPY_C_TEST_SHORT set by CI), where a search costs minutes, the
     * 10-bit family alone runs, its placement given (10-bit frames through the boundary);
     * every family runs unwrapped, searched with the default settings. */
    int short_run = getenv("VIDKOMPY_C_TEST_SHORT") != NULL;
    void (*makers[])(Family *) = {ten_bit, scale_two, scale_half, letterboxed, boxed};
    int count = short_run ? 1 : (int)(sizeof makers / sizeof makers[0]);
    for (int k = 0; k < count; k++) {
        Family f;
        makers[k](&f);
        check_family(&f, short_run);
        release(&f);
    }
    return finish("test_families");
}
