/*
 * A complete vidkompy host in C: decodes two video files with libavformat/libavcodec,
 * runs pass 1 (analyzer, with a frame provider that seeks, as an editor would: the placement
 * is then checked on full-size frames; it tells what each frame costs it to decode again, from
 * the keyframes it saw, so the check prefers frames cheap to give) and pass 2 (compositor,
 * seeking bg back where fg's shots go back in bg), and writes the composite as Y4M.
 *
 *   vidkompy_host BG FG OUT.y4m [REPORT.json] [--no-provider]
 *
 * --no-provider: no frame provider (a host that cannot seek): the placement is then found on the
 * analyzer's reduced copies and reported approximate.
 *
 * Build (see tests/example_host.rs, which builds and runs it on clips from ../shared/media):
 *   cc -std=c99 vidkompy_host.c -Iinclude -Ltarget/release -lvidkompy \
 *      $(pkg-config --cflags --libs libavformat libavcodec libswscale libavutil)
 */
#include "vidkompy.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One input file, decoded frame by frame into yuv420p. */
typedef struct {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    struct SwsContext *sws;
    AVFrame *frame, *yuv;
    AVPacket *pkt;
    int stream;
    int eof;
    int key; /* the frame last given is a keyframe */
    AVRational time_base;
    AVRational rate;
} Input;

static int input_open(Input *in, const char *path) {
    memset(in, 0, sizeof *in);
    if (avformat_open_input(&in->fmt, path, NULL, NULL) < 0) return fprintf(stderr, "%s: cannot open\n", path), -1;
    if (avformat_find_stream_info(in->fmt, NULL) < 0) return fprintf(stderr, "%s: no stream info\n", path), -1;
    const AVCodec *codec = NULL;
    in->stream = av_find_best_stream(in->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (in->stream < 0 || !codec) return fprintf(stderr, "%s: no video stream\n", path), -1;
    AVStream *st = in->fmt->streams[in->stream];
    in->dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(in->dec, st->codecpar);
    if (avcodec_open2(in->dec, codec, NULL) < 0) return fprintf(stderr, "%s: cannot open decoder\n", path), -1;
    in->time_base = st->time_base;
    in->rate = av_guess_frame_rate(in->fmt, st, NULL);
    in->frame = av_frame_alloc();
    in->yuv = av_frame_alloc();
    in->pkt = av_packet_alloc();
    return 0;
}

static void input_close(Input *in) {
    sws_freeContext(in->sws);
    av_frame_free(&in->frame);
    av_frame_free(&in->yuv);
    av_packet_free(&in->pkt);
    avcodec_free_context(&in->dec);
    avformat_close_input(&in->fmt);
}

/* The next frame as a VidkompyFrame (valid until the next call), or 0 at the end. */
static int input_next(Input *in, VidkompyFrame *out) {
    for (;;) {
        int r = avcodec_receive_frame(in->dec, in->frame);
        if (r == 0) break;
        if (r == AVERROR_EOF) return 0;
        if (r != AVERROR(EAGAIN)) return -1;
        if (in->eof) return 0;
        if (av_read_frame(in->fmt, in->pkt) < 0) {
            in->eof = 1;
            avcodec_send_packet(in->dec, NULL);
            continue;
        }
        if (in->pkt->stream_index == in->stream) avcodec_send_packet(in->dec, in->pkt);
        av_packet_unref(in->pkt);
    }
    AVFrame *f = in->frame;
    if (!in->sws) {
        in->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_YUV420P, SWS_POINT,
                                 NULL, NULL, NULL);
        in->yuv->format = AV_PIX_FMT_YUV420P;
        in->yuv->width = f->width;
        in->yuv->height = f->height;
        if (av_frame_get_buffer(in->yuv, 64) < 0) return -1;
    }
    sws_scale(in->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, in->yuv->data, in->yuv->linesize);
    memset(out, 0, sizeof *out);
    out->format = VIDKOMPY_PIXEL_FORMAT_I420;
    out->width = f->width;
    out->height = f->height;
    for (int p = 0; p < 3; p++) {
        out->data[p] = in->yuv->data[p];
        out->stride[p] = in->yuv->linesize[p];
    }
    out->pts = f->best_effort_timestamp;
    out->time_base_num = in->time_base.num;
    out->time_base_den = in->time_base.den;
#ifdef AV_FRAME_FLAG_KEY
    in->key = (f->flags & AV_FRAME_FLAG_KEY) != 0;
#else
    in->key = f->key_frame;
#endif
    av_frame_unref(f);
    return 1;
}

/* Seeks to the keyframe at or before `pts` and decodes up to the frame with that pts. */
static int input_frame_at(Input *in, int64_t pts, VidkompyFrame *out) {
    if (av_seek_frame(in->fmt, in->stream, pts, AVSEEK_FLAG_BACKWARD) < 0) return -1;
    avcodec_flush_buffers(in->dec);
    in->eof = 0;
    for (;;) {
        int got = input_next(in, out);
        if (got <= 0) return -1;
        if (out->pts == pts) return 0;
        if (out->pts > pts) return -1;
    }
}

/* The analyzer's frame provider: frame `index` of a stream, by the pts pass 1 saw it with,
 * from inputs of its own (pass 1's keep reading where they are). `cost`: the frames decoded
 * to give it, from the last keyframe before it (-1 before the first keyframe). */
typedef struct {
    Input inputs[2];
    int64_t *pts[2], *cost[2];
    int64_t last_key[2];
    size_t count[2], capacity[2];
    int given;
} Provider;

/* Notes a frame before it is pushed: the analyzer may ask its cost as it takes it. */
static int remember(Provider *pv, int stream, int64_t pts, int key) {
    if (pv->count[stream] == pv->capacity[stream]) {
        size_t capacity = pv->capacity[stream] ? 2 * pv->capacity[stream] : 1024;
        int64_t *pts_grown = realloc(pv->pts[stream], capacity * sizeof *pts_grown);
        if (pts_grown) pv->pts[stream] = pts_grown;
        int64_t *cost_grown = realloc(pv->cost[stream], capacity * sizeof *cost_grown);
        if (cost_grown) pv->cost[stream] = cost_grown;
        if (!pts_grown || !cost_grown) return -1;
        pv->capacity[stream] = capacity;
    }
    size_t index = pv->count[stream]++;
    if (key || index == 0) pv->last_key[stream] = key ? (int64_t)index : -1;
    pv->pts[stream][index] = pts;
    pv->cost[stream][index] = pv->last_key[stream] < 0 ? -1 : (int64_t)index - pv->last_key[stream];
    return 0;
}

static int64_t decode_cost(void *user, int stream, int64_t index) {
    Provider *pv = user;
    if (stream < 0 || stream > 1 || index < 0 || (size_t)index >= pv->count[stream]) return -1;
    return pv->cost[stream][index];
}

static int provide(void *user, int stream, int64_t index, VidkompyFrame *frame) {
    Provider *pv = user;
    if (stream < 0 || stream > 1 || index < 0 || (size_t)index >= pv->count[stream]) return 1;
    if (input_frame_at(&pv->inputs[stream], pv->pts[stream][index], frame) != 0) return 1;
    pv->given++;
    return 0;
}

static int fail(const char *what, const char *message) {
    fprintf(stderr, "vidkompy_host: %s: %s\n", what, message);
    return 1;
}

int main(int argc, char **argv) {
    int with_provider = 1;
    if (argc > 4 && strcmp(argv[argc - 1], "--no-provider") == 0) {
        with_provider = 0;
        argc--;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: %s BG FG OUT.y4m [REPORT.json] [--no-provider]\n", argv[0]);
        return 2;
    }
    const char *bg_path = argv[1], *fg_path = argv[2], *out_path = argv[3];
    Input bg, fg;

    /* Pass 1: push both streams, interleaved by time, then finish. */
    if (input_open(&bg, bg_path) || input_open(&fg, fg_path)) return 2;
    VidkompyAnalyzer *an = NULL;
    if (vidkompy_analyzer_new(NULL, &an) != VIDKOMPY_OK) return fail("analyzer", vidkompy_last_error());
    static Provider provider;
    if (with_provider) {
        if (input_open(&provider.inputs[VIDKOMPY_STREAM_FG], fg_path) ||
            input_open(&provider.inputs[VIDKOMPY_STREAM_BG], bg_path))
            return 2;
        if (vidkompy_analyzer_set_frame_provider_with_cost(an, provide, decode_cost, &provider) != VIDKOMPY_OK)
            return fail("provider", vidkompy_analyzer_last_error(an));
    }
    VidkompyFrame bf, ff;
    int have_b = input_next(&bg, &bf), have_f = input_next(&fg, &ff);
    while (have_b > 0 || have_f > 0) {
        double tb = have_b > 0 ? bf.pts * av_q2d(bg.time_base) : 1e30;
        double tf = have_f > 0 ? ff.pts * av_q2d(fg.time_base) : 1e30;
        int use_fg = tf <= tb;
        int stream = use_fg ? VIDKOMPY_STREAM_FG : VIDKOMPY_STREAM_BG;
        if (remember(&provider, stream, use_fg ? ff.pts : bf.pts, use_fg ? fg.key : bg.key))
            return fail("push", "out of memory");
        int r = vidkompy_analyzer_push(an, stream, use_fg ? &ff : &bf);
        if (r != VIDKOMPY_OK) return fail("push", vidkompy_analyzer_last_error(an));
        if (use_fg) have_f = input_next(&fg, &ff);
        else have_b = input_next(&bg, &bf);
    }
    VidkompyAlignment *al = NULL;
    /* APPROXIMATE: an alignment all the same, whose placement could not be checked on
       full-size frames (said below, from vidkompy_alignment_placement_approximate). */
    int finished = vidkompy_analyzer_finish(an, &al);
    if (finished != VIDKOMPY_OK && finished != VIDKOMPY_APPROXIMATE)
        return fail("finish", vidkompy_analyzer_last_error(an));
    vidkompy_analyzer_free(&an);
    fprintf(stderr, "the frame provider gave %d frames\n", provider.given);
    input_close(&bg);
    input_close(&fg);
    for (int s = 0; s < 2; s++) {
        if (with_provider) input_close(&provider.inputs[s]);
        free(provider.pts[s]);
        free(provider.cost[s]);
    }

    VidkompyPlacement p;
    vidkompy_alignment_placement(al, &p);
    int approximate = 1;
    vidkompy_alignment_placement_approximate(al, &approximate, NULL);
    fprintf(stderr, "placement x=%d y=%d scale=%.3f confidence=%.3f%s; %zu fg frames over %zu bg frames\n", p.x,
            p.y, p.scale, p.confidence, approximate ? " (approximate: not checked on full-size frames)" : "",
            vidkompy_alignment_fg_frames(al), vidkompy_alignment_bg_frames(al));
    if (argc > 4) {
        size_t needed = 0;
        vidkompy_alignment_to_json(al, NULL, 0, &needed);
        char *json = malloc(needed);
        vidkompy_alignment_to_json(al, json, needed, NULL);
        FILE *rf = fopen(argv[4], "w");
        if (!rf) return fail(argv[4], "cannot write");
        fputs(json, rf);
        fclose(rf);
        free(json);
    }

    /* Pass 2: decode again and send whatever the compositor asks for. */
    if (input_open(&bg, bg_path) || input_open(&fg, fg_path)) return 2;
    VidkompyCompositor *c = NULL;
    if (vidkompy_compositor_new(al, NULL, &c) != VIDKOMPY_OK) return fail("compositor", vidkompy_last_error());
    FILE *out = fopen(out_path, "wb");
    if (!out) return fail(out_path, "cannot write");
    int frames = 0;
    /* A frame send answered AGAIN to (it follows one the decoder lost): sent again once the
     * frame composited over a stand-in is out. */
    int pending = -1, pending_got = 0;
    VidkompyFrame pending_frame;
    for (;;) {
        VidkompyFrame o;
        int r = vidkompy_compositor_receive(c, &o);
        if (r == VIDKOMPY_OK) {
            if (frames == 0)
                fprintf(out, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C420jpeg\n", o.width, o.height, fg.rate.num, fg.rate.den);
            fputs("FRAME\n", out);
            for (int pl = 0; pl < 3; pl++) {
                int w = pl ? (o.width + 1) / 2 : o.width, h = pl ? (o.height + 1) / 2 : o.height;
                for (int y = 0; y < h; y++) fwrite(o.data[pl] + (ptrdiff_t)y * o.stride[pl], 1, (size_t)w, out);
            }
            frames++;
            if (pending >= 0) {
                int again = vidkompy_compositor_send(c, pending, pending_got ? &pending_frame : NULL);
                if (again < 0) return fail("send", vidkompy_compositor_last_error(c));
                if (again != VIDKOMPY_AGAIN) pending = -1;
            }
            continue;
        }
        if (r == VIDKOMPY_EOF) break;
        if (r != VIDKOMPY_AGAIN) return fail("receive", vidkompy_compositor_last_error(c));
        int s = vidkompy_compositor_wants(c);
        Input *in = s == VIDKOMPY_STREAM_FG ? &fg : &bg;
        VidkompyFrame f;
        size_t back = 0;
        int64_t back_pts = INT64_MIN;
        int got;
        if (s == VIDKOMPY_STREAM_BG && vidkompy_compositor_bg_rewind(c, &back, &back_pts) == 1) {
            /* fg's shots go back in bg here (an edit to earlier footage): seek bg back. */
            if (back_pts == INT64_MIN || input_frame_at(&bg, back_pts, &f) != 0) return fail("seek", bg_path);
            if (vidkompy_compositor_seek_bg(c, back) != VIDKOMPY_OK)
                return fail("seek", vidkompy_compositor_last_error(c));
            got = 1;
        } else {
            got = input_next(in, &f);
        }
        if (got < 0) return fail("decode", s == VIDKOMPY_STREAM_FG ? fg_path : bg_path);
        int sent = vidkompy_compositor_send(c, s, got ? &f : NULL);
        if (sent < 0) return fail("send", vidkompy_compositor_last_error(c));
        if (sent == VIDKOMPY_AGAIN) {
            pending = s;
            pending_got = got;
            pending_frame = f;
        }
    }
    fclose(out);
    fprintf(stderr, "wrote %d frames to %s\n", frames, out_path);
    vidkompy_compositor_free(&c);
    vidkompy_alignment_free(&al);
    input_close(&bg);
    input_close(&fg);
    return 0;
}
