/*
 * vidkompy: an MLT transition (Kdenlive, Shotcut, melt) that composites fg (the b-track, a
 * cropped, re-graded, re-timed copy of part of bg's picture) onto the bg frame each fg frame
 * belongs to (the a-track's media), at the place the library found.
 *
 *   melt bg.mp4 -track fg.mp4 -transition vidkompy a_track=0 b_track=1 alignment=fg.vkal.json
 *
 * MLT asks for frames by position, in any order and on several threads, so the transition
 * works by random access (vidkompy_composite) from an alignment made once per pair of media:
 * loaded from the file named by the `alignment` property, or from the properties
 * `alignment_json` and `alignment_media` (which an NLE saves in its project), or else made by
 * the library's analyzer over both media on first use, on a thread of its own (its progress,
 * 0-100, in the property `progress`), and then saved to both. The alignment is kept only
 * while the media record saved with it (path, bytes, modification time, frames and size of
 * each medium) is the media's now: media that changed are analysed again, never composited
 * with a stale map.
 *
 * The transition reads both media through producers of its own (seeking the timeline's would
 * disturb it): the output at a position is the b-track's fg frame (its frame number in its
 * medium, wherever the clip sits on the timeline) composited onto the bg frame the alignment
 * names, not onto the a-track's frame at that position. Where fg has no counterpart in bg
 * (outside the map), where the b-track has no frame, and where a track shows other media
 * than the alignment was made from (a later clip), the a-track's frame passes unchanged and
 * the log says so once. The profile must have bg's frame size and both media
 * its frame rate (MLT converts frame rates by dropping and repeating, which the alignment
 * would then map). Frames go to the library as 4:2:0 without colour flags: fg and bg are
 * taken to share their range and matrix.
 */
#include <errno.h>
#include <framework/mlt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vidkompy.h"

/* One medium as the transition reads it: a producer of its own and the frame last read. */
typedef struct {
    mlt_profile profile; /* the medium's own frame rate and size */
    mlt_producer producer;
    char path[PATH_MAX];
    int width, height, frames;
    mlt_frame held; /* whose image the library may still be reading */
} Medium;

typedef enum { ALIGNMENT_NONE, ALIGNMENT_MAKING, ALIGNMENT_READY, ALIGNMENT_FAILED } AlignmentState;

typedef struct {
    mlt_transition transition;
    pthread_mutex_t lock; /* guards the fields below, and reading bg frames */
    pthread_cond_t changed;
    AlignmentState state;
    pthread_t worker;
    int worker_started;
    atomic_int cancel; /* set when the transition closes during an analysis */
    Medium media[2];   /* indexed by VIDKOMPY_STREAM_FG, _BG */
    char record[2 * PATH_MAX + 256];
    VidkompyAlignment *alignment;
    VidkompySettings *settings;
    int progress_said;
    char resources[2][PATH_MAX]; /* the tracks' media as named when the alignment was made */
    int said_outside, said_failure, said_other_media;
} Context;

static mlt_properties props_of(Context *ctx) {
    return MLT_TRANSITION_PROPERTIES(ctx->transition);
}

/* ---- media ---------------------------------------------------------------------------- */

/* The file a frame comes from: its producer's, or that of the producer a cut (a clip on a
 * track) was made from. */
static const char *resource_of(mlt_frame frame) {
    mlt_producer producer = mlt_frame_get_original_producer(frame);
    while (producer && mlt_producer_is_cut(producer) && mlt_producer_cut_parent(producer) != producer)
        producer = mlt_producer_cut_parent(producer);
    return producer ? mlt_properties_get(MLT_PRODUCER_PROPERTIES(producer), "resource") : NULL;
}

/* A producer of the medium's own (seeking the timeline's would disturb it) at the medium's own
 * frame rate and size, without the timeline's normalizing filters: its frames are the
 * decoded pictures, numbered as the medium numbers them, whatever the project's profile. */
static int open_medium(Medium *m, const char *resource) {
    if (!resource || !realpath(resource, m->path)) return 0;
    m->profile = mlt_profile_init(NULL);
    if (!m->profile) return 0;
    mlt_producer probe = mlt_factory_producer(m->profile, "avformat", m->path);
    if (!probe) return 0;
    mlt_profile_from_producer(m->profile, probe);
    mlt_producer_close(probe);
    m->producer = mlt_factory_producer(m->profile, "avformat", m->path);
    if (!m->producer) return 0;
    m->frames = mlt_producer_get_length(m->producer);
    m->width = m->profile->width;
    m->height = m->profile->height;
    return m->width > 0 && m->height > 0 && m->width % 2 == 0 && m->height % 2 == 0 && m->frames > 0 &&
           m->profile->frame_rate_num > 0 && m->profile->frame_rate_den > 0;
}

/* The path, bytes, modification time, frames, size and rate of both media, one line each. */
static void make_record(Context *ctx) {
    size_t at = 0;
    for (int s = VIDKOMPY_STREAM_FG; s <= VIDKOMPY_STREAM_BG; s++) {
        const Medium *m = &ctx->media[s];
        struct stat st;
        long long bytes = -1, mtime_ns = -1;
        if (stat(m->path, &st) == 0) {
            bytes = (long long)st.st_size;
            mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        }
        at += (size_t)snprintf(ctx->record + at, sizeof ctx->record - at, "%s %lld %lld %d %dx%d %d/%d %s\n",
                               s == VIDKOMPY_STREAM_FG ? "fg" : "bg", bytes, mtime_ns, m->frames, m->width,
                               m->height, m->profile->frame_rate_num, m->profile->frame_rate_den, m->path);
        if (at >= sizeof ctx->record) at = sizeof ctx->record - 1;
    }
}

/* Frame `index` of a medium as a 4:2:0 VidkompyFrame (pts: the index at the profile's rate);
 * the frame read before it is let go. 0 when it cannot be read at the medium's own size. */
static int read_frame(Medium *m, int index, VidkompyFrame *out) {
    if (m->held) mlt_frame_close(m->held);
    m->held = NULL;
    if (index < 0 || index >= m->frames) return 0;
    mlt_producer_seek(m->producer, index);
    mlt_frame frame = NULL;
    if (mlt_service_get_frame(MLT_PRODUCER_SERVICE(m->producer), &frame, 0) != 0 || !frame) return 0;
    m->held = frame;
    mlt_image_format format = mlt_image_yuv420p;
    int w = m->width, h = m->height;
    uint8_t *image = NULL;
    if (mlt_frame_get_image(frame, &image, &format, &w, &h, 0) != 0 || !image || format != mlt_image_yuv420p ||
        w != m->width || h != m->height)
        return 0;
    memset(out, 0, sizeof *out);
    out->format = VIDKOMPY_PIXEL_FORMAT_I420;
    out->width = w;
    out->height = h;
    out->data[0] = image;
    out->data[1] = image + (size_t)w * h;
    out->data[2] = out->data[1] + (size_t)(w / 2) * (h / 2);
    out->stride[0] = w;
    out->stride[1] = out->stride[2] = w / 2;
    out->pts = index;
    out->time_base_num = m->profile->frame_rate_den;
    out->time_base_den = m->profile->frame_rate_num;
    return 1;
}

/* ---- saving and loading ------------------------------------------------------------------ */

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 && size < (64L << 20)) {
        text = malloc((size_t)size + 1);
        if (text && fread(text, 1, (size_t)size, f) == (size_t)size) {
            text[size] = '\0';
        } else {
            free(text);
            text = NULL;
        }
    }
    fclose(f);
    return text;
}

/* Writes beside `path` and renames over it: a file is whole or absent, never half-written. */
static int write_file(const char *path, const char *text) {
    char temporary[PATH_MAX + 16];
    if (snprintf(temporary, sizeof temporary, "%s.partial", path) >= (int)sizeof temporary) return 0;
    FILE *f = fopen(temporary, "wb");
    if (!f) return 0;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (ok) ok = rename(temporary, path) == 0;
    if (!ok) remove(temporary);
    return ok;
}

static void media_path(const char *alignment_path, char *out, size_t size) {
    snprintf(out, size, "%s.media", alignment_path);
}

/* An alignment from saved JSON, kept only when its media record is the media's now. */
static int load_alignment(Context *ctx, const char *json, const char *record, const char *from) {
    if (!json || !record) return 0;
    if (strcmp(record, ctx->record) != 0) {
        mlt_log_warning(MLT_TRANSITION_SERVICE(ctx->transition),
                        "the media changed since the alignment in %s was saved: analysing again\n", from);
        return 0;
    }
    VidkompyError err;
    if (vidkompy_alignment_from_json_ex(json, &ctx->alignment, &err) != VIDKOMPY_OK) {
        mlt_log_warning(MLT_TRANSITION_SERVICE(ctx->transition), "the alignment in %s cannot be read (%s): analysing again\n",
                        from, err.message);
        return 0;
    }
    mlt_log_info(MLT_TRANSITION_SERVICE(ctx->transition), "alignment loaded from %s\n", from);
    return 1;
}

static int load_saved(Context *ctx) {
    const char *file = mlt_properties_get(props_of(ctx), "alignment");
    if (file && *file) {
        char record_path[PATH_MAX + 16];
        media_path(file, record_path, sizeof record_path);
        char *json = read_file(file), *record = read_file(record_path);
        int ok = load_alignment(ctx, json, record, file);
        free(json);
        free(record);
        if (ok) return 1;
    }
    return load_alignment(ctx, mlt_properties_get(props_of(ctx), "alignment_json"),
                          mlt_properties_get(props_of(ctx), "alignment_media"), "the project");
}

static void save(Context *ctx) {
    size_t needed = 0;
    vidkompy_alignment_to_json(ctx->alignment, NULL, 0, &needed);
    char *json = needed ? malloc(needed) : NULL;
    if (!json || vidkompy_alignment_to_json(ctx->alignment, json, needed, NULL) != VIDKOMPY_OK) {
        free(json);
        return;
    }
    mlt_properties_set(props_of(ctx), "alignment_json", json);
    mlt_properties_set(props_of(ctx), "alignment_media", ctx->record);
    const char *file = mlt_properties_get(props_of(ctx), "alignment");
    if (file && *file) {
        char record_path[PATH_MAX + 16];
        media_path(file, record_path, sizeof record_path);
        /* The record last: an alignment without its record is analysed again. */
        if (!write_file(file, json) || !write_file(record_path, ctx->record))
            mlt_log_error(MLT_TRANSITION_SERVICE(ctx->transition), "cannot save the alignment to %s: %s\n", file,
                          strerror(errno));
    }
    free(json);
}

/* ---- the analysis ------------------------------------------------------------------------ */

static int provide(void *user, int stream, int64_t index, VidkompyFrame *frame) {
    Context *ctx = user;
    if (stream != VIDKOMPY_STREAM_FG && stream != VIDKOMPY_STREAM_BG) return 1;
    return read_frame(&ctx->media[stream], index > INT_MAX ? -1 : (int)index, frame) ? 0 : 1;
}

static void progress(void *user, size_t fg_frames, size_t bg_frames) {
    Context *ctx = user;
    size_t total = (size_t)ctx->media[0].frames + (size_t)ctx->media[1].frames;
    int percent = (int)(100 * (fg_frames + bg_frames) / (total ? total : 1));
    mlt_properties_set_int(props_of(ctx), "progress", percent);
    if (percent / 10 > ctx->progress_said) {
        ctx->progress_said = percent / 10;
        mlt_log_verbose(MLT_TRANSITION_SERVICE(ctx->transition), "analysing: %d %%\n", percent);
    }
}

/* Placement property "x,y" or "x,y,scale": fg's top-left in bg, sized from fg's frames. */
static int apply_placement(Context *ctx, VidkompyAnalyzer *analyzer) {
    const char *text = mlt_properties_get(props_of(ctx), "placement");
    if (!text || !*text) return 1;
    int x = 0, y = 0;
    double scale = 1.0;
    if (sscanf(text, "%d,%d,%lf", &x, &y, &scale) < 2 || !(scale > 0.0)) {
        mlt_log_error(MLT_TRANSITION_SERVICE(ctx->transition), "placement must be x,y or x,y,scale, not \"%s\"\n", text);
        return 0;
    }
    const Medium *fg = &ctx->media[VIDKOMPY_STREAM_FG];
    VidkompyPlacement p;
    memset(&p, 0, sizeof p);
    p.x = x;
    p.y = y;
    p.scale = scale;
    p.width = (uint32_t)(fg->width * scale + 0.5);
    p.height = (uint32_t)(fg->height * scale + 0.5);
    p.confidence = 1.0;
    p.content_width = (uint32_t)fg->width;
    p.content_height = (uint32_t)fg->height;
    p.x_subpixel = x;
    p.y_subpixel = y;
    return vidkompy_analyzer_set_placement(analyzer, &p) == VIDKOMPY_OK;
}

/* Both media pushed frame by frame, interleaved; the frames the placement check asks for
 * read again through the provider. */
static int analyse(Context *ctx, VidkompyError *err) {
    VidkompyAnalyzer *analyzer = NULL;
    if (vidkompy_analyzer_new_ex(ctx->settings, &analyzer, err) != VIDKOMPY_OK) return 0;
    vidkompy_analyzer_set_callbacks(analyzer, NULL, progress, ctx);
    vidkompy_analyzer_set_frame_provider(analyzer, provide, ctx);
    vidkompy_analyzer_set_cancel_flag(analyzer, (const int *)&ctx->cancel);
    int ok = apply_placement(ctx, analyzer);
    if (!ok) snprintf(err->message, sizeof err->message, "the placement property is not x,y or x,y,scale");
    int longest = ctx->media[0].frames > ctx->media[1].frames ? ctx->media[0].frames : ctx->media[1].frames;
    for (int i = 0; ok && i < longest; i++) {
        for (int s = VIDKOMPY_STREAM_FG; ok && s <= VIDKOMPY_STREAM_BG; s++) {
            VidkompyFrame frame;
            if (i >= ctx->media[s].frames) continue;
            if (!read_frame(&ctx->media[s], i, &frame)) {
                snprintf(err->message, sizeof err->message, "cannot read frame %d of %s", i, ctx->media[s].path);
                ok = 0;
            } else if (vidkompy_analyzer_push(analyzer, s, &frame) != VIDKOMPY_OK) {
                snprintf(err->message, sizeof err->message, "%s", vidkompy_analyzer_last_error(analyzer));
                ok = 0;
            }
        }
    }
    if (ok) {
        int status = vidkompy_analyzer_finish(analyzer, &ctx->alignment);
        ok = status == VIDKOMPY_OK || status == VIDKOMPY_APPROXIMATE;
        if (!ok) snprintf(err->message, sizeof err->message, "%s", vidkompy_analyzer_last_error(analyzer));
    }
    vidkompy_analyzer_free(&analyzer);
    for (int s = 0; s < 2; s++) {
        if (ctx->media[s].held) mlt_frame_close(ctx->media[s].held);
        ctx->media[s].held = NULL;
    }
    return ok;
}

static void *analysis_thread(void *user) {
    Context *ctx = user;
    VidkompyError err;
    memset(&err, 0, sizeof err);
    int ok = analyse(ctx, &err);
    if (ok) {
        save(ctx);
        VidkompyPlacement p;
        vidkompy_alignment_placement(ctx->alignment, &p);
        mlt_log_info(MLT_TRANSITION_SERVICE(ctx->transition), "aligned: fg at %d,%d scale %.3f, %.2f s into bg\n", p.x,
                     p.y, p.scale, vidkompy_alignment_offset_seconds(ctx->alignment));
    } else {
        mlt_properties_set(props_of(ctx), "error", err.message);
        mlt_log_error(MLT_TRANSITION_SERVICE(ctx->transition), "no alignment, fg is not composited: %s\n", err.message);
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->state = ok ? ALIGNMENT_READY : ALIGNMENT_FAILED;
    pthread_cond_broadcast(&ctx->changed);
    pthread_mutex_unlock(&ctx->lock);
    return NULL;
}

/* Settings from the properties `feather` and `min_confidence` (unset: the library's). */
static int make_settings(Context *ctx) {
    if (vidkompy_settings_new(&ctx->settings) != VIDKOMPY_OK) return 0;
    const char *keys[] = {"feather", "min_confidence"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const char *value = mlt_properties_get(props_of(ctx), keys[k]);
        if (value && *value && vidkompy_settings_set(ctx->settings, keys[k], value) != VIDKOMPY_OK) {
            mlt_log_error(MLT_TRANSITION_SERVICE(ctx->transition), "%s: %s\n", keys[k],
                          vidkompy_settings_last_error(ctx->settings));
            return 0;
        }
    }
    return 1;
}

/* On first use: the media opened from the frames' producers, the alignment loaded or its
 * analysis started. Then waits for it. 1 when an alignment is ready. */
static int alignment_ready(Context *ctx, mlt_frame a_frame, mlt_frame b_frame) {
    pthread_mutex_lock(&ctx->lock);
    if (ctx->state == ALIGNMENT_NONE) {
        ctx->state = ALIGNMENT_FAILED;
        const char *bg = resource_of(a_frame), *fg = resource_of(b_frame);
        snprintf(ctx->resources[VIDKOMPY_STREAM_BG], PATH_MAX, "%s", bg ? bg : "");
        snprintf(ctx->resources[VIDKOMPY_STREAM_FG], PATH_MAX, "%s", fg ? fg : "");
        if (!make_settings(ctx)) {
        } else if (!open_medium(&ctx->media[VIDKOMPY_STREAM_BG], bg) ||
                   !open_medium(&ctx->media[VIDKOMPY_STREAM_FG], fg)) {
            mlt_log_error(MLT_TRANSITION_SERVICE(ctx->transition),
                          "cannot open the media of the a-track (%s) and b-track (%s) at an even frame size\n",
                          bg ? bg : "none", fg ? fg : "none");
        } else {
            make_record(ctx);
            if (load_saved(ctx)) {
                ctx->state = ALIGNMENT_READY;
            } else if (pthread_create(&ctx->worker, NULL, analysis_thread, ctx) == 0) {
                ctx->worker_started = 1;
                ctx->state = ALIGNMENT_MAKING;
            }
        }
    }
    while (ctx->state == ALIGNMENT_MAKING) pthread_cond_wait(&ctx->changed, &ctx->lock);
    int ready = ctx->state == ALIGNMENT_READY;
    pthread_mutex_unlock(&ctx->lock);
    return ready;
}

/* ---- compositing ------------------------------------------------------------------------- */

/* Said once per transition, not per frame (a log line per frame would bury the log). */
static void say_once(Context *ctx, int *said, const char *what, int fg_index) {
    if (!*said) mlt_log_warning(MLT_TRANSITION_SERVICE(ctx->transition), "%s (first at fg frame %d)\n", what, fg_index);
    *said = 1;
}

/* The fg frame the b-track shows: its position (in the project's frames) in fg's own frames. */
static int fg_index_of(Context *ctx, mlt_frame b_frame) {
    mlt_profile project = mlt_service_profile(MLT_TRANSITION_SERVICE(ctx->transition));
    const mlt_profile own = ctx->media[VIDKOMPY_STREAM_FG].profile;
    double seconds = (double)mlt_frame_original_position(b_frame) * project->frame_rate_den / project->frame_rate_num;
    return (int)(seconds * own->frame_rate_num / own->frame_rate_den + 1e-6);
}

/* fg frame `fg_index` composited onto its bg frame, both read from the transition's own
 * producers (one at a time: a producer reads one frame at a time), into a new image. */
static uint8_t *composite(Context *ctx, int fg_index) {
    uint32_t bg_index = 0;
    int outside = 0;
    if (vidkompy_alignment_bg_index(ctx->alignment, (size_t)fg_index, &bg_index, &outside) != VIDKOMPY_OK || outside ||
        (size_t)fg_index >= vidkompy_alignment_fg_frames(ctx->alignment)) {
        say_once(ctx, &ctx->said_outside, "fg frames outside the alignment's map are not composited", fg_index);
        return NULL;
    }
    Medium *fg = &ctx->media[VIDKOMPY_STREAM_FG], *bg = &ctx->media[VIDKOMPY_STREAM_BG];
    size_t luma = (size_t)bg->width * bg->height, chroma = (size_t)(bg->width / 2) * (bg->height / 2);
    uint8_t *out = mlt_pool_alloc((int)(luma + 2 * chroma));
    if (!out) return NULL;
    VidkompyFrame dst = {VIDKOMPY_PIXEL_FORMAT_I420, bg->width, bg->height, {out, out + luma, out + luma + chroma, NULL},
                         {bg->width, bg->width / 2, bg->width / 2, 0}, INT64_MIN, 0, 0};
    VidkompyError err;
    memset(&err, 0, sizeof err);
    int status = VIDKOMPY_ERROR_INVALID_DATA;
    VidkompyFrame fg_frame, bg_frame;
    pthread_mutex_lock(&ctx->lock);
    if (read_frame(fg, fg_index, &fg_frame) && read_frame(bg, (int)bg_index, &bg_frame))
        status = vidkompy_composite(ctx->alignment, ctx->settings, (size_t)fg_index, &fg_frame, &bg_frame, &dst, &err);
    else
        snprintf(err.message, sizeof err.message, "cannot read fg frame %d or bg frame %u", fg_index, bg_index);
    pthread_mutex_unlock(&ctx->lock);
    if (status != VIDKOMPY_OK) {
        mlt_pool_release(out);
        say_once(ctx, &ctx->said_failure, err.message, fg_index);
        return NULL;
    }
    return out;
}

/* Whether the tracks still show the media the alignment was made from: a track may hold other
 * clips later on, which the map knows nothing of. */
static int same_media(const Context *ctx, mlt_frame a_frame, mlt_frame b_frame) {
    const char *bg = resource_of(a_frame), *fg = resource_of(b_frame);
    return bg && fg && strcmp(bg, ctx->resources[VIDKOMPY_STREAM_BG]) == 0 &&
           strcmp(fg, ctx->resources[VIDKOMPY_STREAM_FG]) == 0;
}

static int get_image(mlt_frame a_frame, uint8_t **image, mlt_image_format *format, int *width, int *height,
                     int writable) {
    mlt_frame b_frame = mlt_frame_pop_frame(a_frame);
    mlt_transition transition = mlt_frame_pop_service(a_frame);
    Context *ctx = transition->child;
    int has_fg = resource_of(b_frame) && !mlt_properties_get_int(MLT_FRAME_PROPERTIES(b_frame), "test_image");
    if (has_fg && alignment_ready(ctx, a_frame, b_frame)) {
        const Medium *bg = &ctx->media[VIDKOMPY_STREAM_BG];
        int fg_index = fg_index_of(ctx, b_frame);
        uint8_t *out = NULL;
        if (same_media(ctx, a_frame, b_frame))
            out = composite(ctx, fg_index);
        else
            say_once(ctx, &ctx->said_other_media, "a track shows other media than the alignment's: not composited",
                     fg_index);
        if (out) {
            mlt_frame_set_image(a_frame, out, (int)((size_t)bg->width * bg->height * 3 / 2), mlt_pool_release);
            *image = out;
            *format = mlt_image_yuv420p;
            *width = bg->width;
            *height = bg->height;
            return 0;
        }
    }
    return mlt_frame_get_image(a_frame, image, format, width, height, writable);
}

static mlt_frame process(mlt_transition transition, mlt_frame a_frame, mlt_frame b_frame) {
    mlt_frame_push_service(a_frame, transition);
    mlt_frame_push_frame(a_frame, b_frame);
    mlt_frame_push_get_image(a_frame, get_image);
    return a_frame;
}

/* Runs when the transition's properties are let go: an analysis still running is cancelled
 * (the library returns promptly) and waited for, then everything is freed. */
static void context_free(void *data) {
    Context *ctx = data;
    if (ctx->worker_started) {
        atomic_store(&ctx->cancel, 1);
        pthread_join(ctx->worker, NULL);
    }
    for (int s = 0; s < 2; s++) {
        if (ctx->media[s].held) mlt_frame_close(ctx->media[s].held);
        if (ctx->media[s].producer) mlt_producer_close(ctx->media[s].producer);
        if (ctx->media[s].profile) mlt_profile_close(ctx->media[s].profile);
    }
    vidkompy_alignment_free(&ctx->alignment);
    vidkompy_settings_free(&ctx->settings);
    pthread_cond_destroy(&ctx->changed);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

static mlt_transition transition_vidkompy_init(mlt_profile profile, mlt_service_type type, const char *id, char *arg) {
    (void)profile;
    (void)type;
    (void)id;
    mlt_transition transition = mlt_transition_new();
    Context *ctx = calloc(1, sizeof *ctx);
    if (!transition || !ctx) {
        free(ctx);
        if (transition) mlt_transition_close(transition);
        return NULL;
    }
    ctx->transition = transition;
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->changed, NULL);
    transition->child = ctx;
    transition->process = process;
    mlt_properties properties = MLT_TRANSITION_PROPERTIES(transition);
    mlt_properties_set_data(properties, "_vidkompy", ctx, 0, context_free, NULL);
    if (arg) mlt_properties_set(properties, "alignment", arg);
    mlt_properties_set_int(properties, "progress", 0);
    mlt_properties_set_int(properties, "_transition_type", 1); /* video only */
    return transition;
}

MLT_REPOSITORY {
    MLT_REGISTER(mlt_service_transition_type, "vidkompy", transition_vidkompy_init);
}
