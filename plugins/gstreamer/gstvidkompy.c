/*
 * vidkompy: a GStreamer element that finds where fg (a cropped, re-graded, re-timed copy of
 * part of bg's picture) sits in bg and composites every fg frame onto the bg frame it belongs
 * to, in one pass, on the library's live session (vidkompy_live_*).
 *
 *   gst-launch-1.0 filesrc location=bg.mp4 ! decodebin ! queue ! vk.bg \
 *                  filesrc location=fg.mp4 ! decodebin ! queue ! vk.fg \
 *                  vidkompy name=vk live-lag=30 ! videoconvert ! autovideosink
 *
 * An aggregator (GstAggregator) with two always sink pads, "fg" and "bg", and one src pad
 * with bg's caps at fg's frame rate. The session says which stream it needs next
 * (vidkompy_live_wants); the element takes a buffer from that pad only, and waits on it
 * otherwise, so each stream is read in order and held only as the session asks. Output
 * buffers carry fg's running time. Latency: live-lag fg frames, added to the latency query.
 * Once the session locks, an element message "vidkompy-locked" carries the placement and the
 * offset; a pair that does not match ends with an error message naming the library's reason.
 */
#include <gst/base/gstaggregator.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <string.h>

#include "vidkompy.h"

#define PACKAGE "vidkompy"
#define VERSION "0.3.0"

/* The raw formats the library takes, as GStreamer names them. */
#define FORMATS "{ I420, NV12, P010_10LE, I420_10LE, Y42B, Y444, I422_10LE, Y444_10LE, RGBA, BGRA, RGB, GRAY8 }"
#define RAW_CAPS GST_VIDEO_CAPS_MAKE(FORMATS)

static GstStaticPadTemplate fg_template =
    GST_STATIC_PAD_TEMPLATE("fg", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(RAW_CAPS));
static GstStaticPadTemplate bg_template =
    GST_STATIC_PAD_TEMPLATE("bg", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(RAW_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(RAW_CAPS));

enum { PROP_0, PROP_LIVE_LAG, PROP_PLACEMENT, PROP_MIN_CONFIDENCE, PROP_FEATHER, PROP_CAPS_MATRIX };

#define DEFAULT_LIVE_LAG 30
/* Negative: the library's own default. */
#define DEFAULT_MIN_CONFIDENCE -1.0
#define DEFAULT_FEATHER -1

typedef struct {
    GstAggregator parent;
    GstAggregatorPad *pads[2]; /* indexed by VIDKOMPY_STREAM_FG, _BG */
    GstVideoInfo info[2];
    gboolean have_info[2];
    gboolean ended[2];
    VidkompyLive *live;
    gboolean placement_applied;
    gboolean lock_posted;
    /* properties */
    gint live_lag;
    gchar *placement;
    gdouble min_confidence;
    gint feather;
    gboolean caps_matrix;
} GstVidkompy;

typedef struct {
    GstAggregatorClass parent_class;
} GstVidkompyClass;

GType gst_vidkompy_get_type(void);
#define GST_TYPE_VIDKOMPY (gst_vidkompy_get_type())
#define GST_VIDKOMPY(obj) ((GstVidkompy *)(obj))

G_DEFINE_TYPE(GstVidkompy, gst_vidkompy, GST_TYPE_AGGREGATOR)

/* The library's pixel format for a GStreamer one; -1 when it takes none such. */
static int vidkompy_format(GstVideoFormat format) {
    switch (format) {
    case GST_VIDEO_FORMAT_GRAY8: return VIDKOMPY_PIXEL_FORMAT_GRAY8;
    case GST_VIDEO_FORMAT_I420: return VIDKOMPY_PIXEL_FORMAT_I420;
    case GST_VIDEO_FORMAT_NV12: return VIDKOMPY_PIXEL_FORMAT_NV12;
    case GST_VIDEO_FORMAT_RGBA: return VIDKOMPY_PIXEL_FORMAT_RGBA;
    case GST_VIDEO_FORMAT_BGRA: return VIDKOMPY_PIXEL_FORMAT_BGRA;
    case GST_VIDEO_FORMAT_RGB: return VIDKOMPY_PIXEL_FORMAT_RGB24;
    case GST_VIDEO_FORMAT_I420_10LE: return VIDKOMPY_PIXEL_FORMAT_I420P10;
    case GST_VIDEO_FORMAT_P010_10LE: return VIDKOMPY_PIXEL_FORMAT_P010;
    case GST_VIDEO_FORMAT_Y42B: return VIDKOMPY_PIXEL_FORMAT_I422;
    case GST_VIDEO_FORMAT_Y444: return VIDKOMPY_PIXEL_FORMAT_I444;
    case GST_VIDEO_FORMAT_I422_10LE: return VIDKOMPY_PIXEL_FORMAT_I422P10;
    case GST_VIDEO_FORMAT_Y444_10LE: return VIDKOMPY_PIXEL_FORMAT_I444P10;
    default: return -1;
    }
}

/* The frame's colour bits from the caps' colorimetry: the range always; the YCbCr matrix only
 * with caps-matrix=true. When a stream does not say, GStreamer guesses the matrix from the
 * frame size (BT.601 under 720 lines), and fg, a crop of an HD bg, is usually SD-sized: taking
 * the guess would convert fg's colours to a matrix bg never had (every frame of a 1080p pair
 * differed from comp's). Without it the frames say nothing, as FFmpeg's do for such streams. */
static int color_bits(const GstVideoInfo *info, gboolean with_matrix) {
    int bits = 0;
    if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) bits |= VIDKOMPY_FRAME_RANGE_FULL;
    if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_16_235) bits |= VIDKOMPY_FRAME_RANGE_LIMITED;
    if (with_matrix && info->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT601) bits |= VIDKOMPY_FRAME_MATRIX_BT601;
    if (with_matrix && info->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709) bits |= VIDKOMPY_FRAME_MATRIX_BT709;
    return bits;
}

static GstFlowReturn fail(GstVidkompy *self, int status) {
    const char *why = vidkompy_live_last_error(self->live);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("vidkompy: %s", vidkompy_status_str(status)), ("%s", why));
    return GST_FLOW_ERROR;
}

/* Settings from the properties, and a new session. */
static gboolean gst_vidkompy_start(GstAggregator *agg) {
    GstVidkompy *self = GST_VIDKOMPY(agg);
    VidkompySettings *settings = NULL;
    if (vidkompy_settings_new(&settings) != VIDKOMPY_OK) return FALSE;
    int ok = vidkompy_settings_set_live_lag(settings, self->live_lag) == VIDKOMPY_OK;
    if (ok && self->min_confidence >= 0.0)
        ok = vidkompy_settings_set_min_confidence(settings, self->min_confidence) == VIDKOMPY_OK;
    if (ok && self->feather >= 0) ok = vidkompy_settings_set_feather(settings, self->feather) == VIDKOMPY_OK;
    if (!ok) {
        GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("vidkompy: a property was refused"), ("%s",
                          vidkompy_settings_last_error(settings)));
        vidkompy_settings_free(&settings);
        return FALSE;
    }
    int r = vidkompy_live_new(settings, &self->live);
    vidkompy_settings_free(&settings);
    if (r != VIDKOMPY_OK) {
        GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("vidkompy: %s", vidkompy_status_str(r)), ("%s", vidkompy_last_error()));
        return FALSE;
    }
    self->placement_applied = self->lock_posted = FALSE;
    self->have_info[0] = self->have_info[1] = FALSE;
    self->ended[0] = self->ended[1] = FALSE;
    return TRUE;
}

static gboolean gst_vidkompy_stop(GstAggregator *agg) {
    GstVidkompy *self = GST_VIDKOMPY(agg);
    vidkompy_live_free(&self->live);
    return TRUE;
}

/* The placement property ("x,y" or "x,y,scale"), sized from fg's frames, before the first
 * frame is sent. */
static gboolean apply_placement(GstVidkompy *self) {
    if (self->placement_applied || !self->placement || !*self->placement) return TRUE;
    int x = 0, y = 0;
    double scale = 1.0;
    int n = sscanf(self->placement, "%d,%d,%lf", &x, &y, &scale);
    if (n < 2 || scale <= 0.0) {
        GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("vidkompy: placement must be x,y or x,y,scale"),
                          ("got \"%s\"", self->placement));
        return FALSE;
    }
    const GstVideoInfo *fg = &self->info[VIDKOMPY_STREAM_FG];
    VidkompyPlacement p;
    memset(&p, 0, sizeof p);
    p.x = x;
    p.y = y;
    p.scale = scale;
    p.width = (uint32_t)(GST_VIDEO_INFO_WIDTH(fg) * scale + 0.5);
    p.height = (uint32_t)(GST_VIDEO_INFO_HEIGHT(fg) * scale + 0.5);
    p.confidence = 1.0;
    p.content_width = (uint32_t)GST_VIDEO_INFO_WIDTH(fg);
    p.content_height = (uint32_t)GST_VIDEO_INFO_HEIGHT(fg);
    p.x_subpixel = x;
    p.y_subpixel = y;
    int r = vidkompy_live_set_placement(self->live, &p);
    if (r != VIDKOMPY_OK) {
        fail(self, r);
        return FALSE;
    }
    self->placement_applied = TRUE;
    return TRUE;
}

/* Output caps: bg's, at fg's frame rate (one output frame per fg frame). */
static GstFlowReturn gst_vidkompy_update_src_caps(GstAggregator *agg, GstCaps *downstream, GstCaps **ret) {
    GstVidkompy *self = GST_VIDKOMPY(agg);
    if (!self->have_info[0] || !self->have_info[1]) return GST_AGGREGATOR_FLOW_NEED_DATA;
    GstVideoInfo out = self->info[VIDKOMPY_STREAM_BG];
    GST_VIDEO_INFO_FPS_N(&out) = GST_VIDEO_INFO_FPS_N(&self->info[VIDKOMPY_STREAM_FG]);
    GST_VIDEO_INFO_FPS_D(&out) = GST_VIDEO_INFO_FPS_D(&self->info[VIDKOMPY_STREAM_FG]);
    GstCaps *caps = gst_video_info_to_caps(&out);
    if (!gst_caps_can_intersect(caps, downstream)) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("vidkompy: downstream does not take bg's format"),
                          ("output caps %" GST_PTR_FORMAT ", downstream %" GST_PTR_FORMAT, caps, downstream));
        gst_caps_unref(caps);
        return GST_FLOW_NOT_NEGOTIATED;
    }
    *ret = caps;
    return GST_FLOW_OK;
}

static gboolean gst_vidkompy_sink_event(GstAggregator *agg, GstAggregatorPad *pad, GstEvent *event) {
    GstVidkompy *self = GST_VIDKOMPY(agg);
    if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
        int s = pad == self->pads[VIDKOMPY_STREAM_FG] ? VIDKOMPY_STREAM_FG : VIDKOMPY_STREAM_BG;
        GstCaps *caps = NULL;
        gst_event_parse_caps(event, &caps);
        GstVideoInfo info;
        if (!gst_video_info_from_caps(&info, caps) || vidkompy_format(GST_VIDEO_INFO_FORMAT(&info)) < 0) {
            GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("vidkompy: %s caps the library does not take",
                              s == VIDKOMPY_STREAM_FG ? "fg" : "bg"), ("%" GST_PTR_FORMAT, caps));
            gst_event_unref(event);
            return FALSE;
        }
        if (self->have_info[s] && !gst_video_info_is_equal(&info, &self->info[s])) {
            GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("vidkompy: %s changed format or size mid-stream",
                              s == VIDKOMPY_STREAM_FG ? "fg" : "bg"), ("%" GST_PTR_FORMAT, caps));
            gst_event_unref(event);
            return FALSE;
        }
        self->info[s] = info;
        self->have_info[s] = TRUE;
        if (s == VIDKOMPY_STREAM_FG && GST_VIDEO_INFO_FPS_N(&info) > 0) {
            GstClockTime lag = gst_util_uint64_scale_int(GST_SECOND * (guint64)self->live_lag,
                                                         GST_VIDEO_INFO_FPS_D(&info), GST_VIDEO_INFO_FPS_N(&info));
            gst_aggregator_set_latency(agg, lag, lag);
        }
        gst_pad_mark_reconfigure(GST_AGGREGATOR_SRC_PAD(agg));
    }
    return GST_AGGREGATOR_CLASS(gst_vidkompy_parent_class)->sink_event(agg, pad, event);
}

/* Sends one buffer of stream `s` to the session, at its running time in nanoseconds. */
static int send_buffer(GstVidkompy *self, int s, GstBuffer *buf) {
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, &self->info[s], buf, GST_MAP_READ)) return VIDKOMPY_ERROR_INVALID_FRAME;
    const GstSegment *segment = &self->pads[s]->segment;
    VidkompyFrame f;
    memset(&f, 0, sizeof f);
    f.format = vidkompy_format(GST_VIDEO_FRAME_FORMAT(&vf)) | color_bits(&self->info[s], self->caps_matrix);
    f.width = GST_VIDEO_FRAME_WIDTH(&vf);
    f.height = GST_VIDEO_FRAME_HEIGHT(&vf);
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&vf) && p < 4; p++) {
        f.data[p] = GST_VIDEO_FRAME_PLANE_DATA(&vf, p);
        f.stride[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);
    }
    GstClockTime pts = GST_BUFFER_PTS(buf);
    GstClockTime running = GST_CLOCK_TIME_IS_VALID(pts) ? gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts)
                                                        : GST_CLOCK_TIME_NONE;
    f.pts = GST_CLOCK_TIME_IS_VALID(running) ? (int64_t)running : INT64_MIN;
    f.time_base_num = 1;
    f.time_base_den = 1000000000;
    int r = vidkompy_live_send(self->live, s, &f);
    gst_video_frame_unmap(&vf);
    return r;
}

/* The row bytes and rows of plane `p` (its first component's). */
static void plane_shape(const GstVideoFrame *vf, guint p, gsize *row_bytes, guint *rows) {
    const GstVideoFormatInfo *finfo = vf->info.finfo;
    for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS(finfo); c++) {
        if (GST_VIDEO_FORMAT_INFO_PLANE(finfo, c) == p) {
            *row_bytes = (gsize)GST_VIDEO_FRAME_COMP_WIDTH(vf, c) * GST_VIDEO_FRAME_COMP_PSTRIDE(vf, c);
            *rows = GST_VIDEO_FRAME_COMP_HEIGHT(vf, c);
            return;
        }
    }
    *row_bytes = 0;
    *rows = 0;
}

static void post_lock(GstVidkompy *self) {
    VidkompyPlacement p;
    double offset = 0.0;
    if (self->lock_posted || vidkompy_live_placement(self->live, &p) != VIDKOMPY_OK) return;
    vidkompy_live_offset_seconds(self->live, &offset);
    GstStructure *s = gst_structure_new("vidkompy-locked", "x", G_TYPE_INT, p.x, "y", G_TYPE_INT, p.y, "width",
                                        G_TYPE_UINT, p.width, "height", G_TYPE_UINT, p.height, "scale", G_TYPE_DOUBLE,
                                        p.scale, "confidence", G_TYPE_DOUBLE, p.confidence, "offset-seconds",
                                        G_TYPE_DOUBLE, offset, NULL);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
    self->lock_posted = TRUE;
}

/* Copies the session's composited frame into a new buffer and pushes it. */
static GstFlowReturn push_output(GstVidkompy *self, const VidkompyFrame *out) {
    GstAggregator *agg = GST_AGGREGATOR(self);
    GstVideoInfo info = self->info[VIDKOMPY_STREAM_BG];
    GstBuffer *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&info), NULL);
    GstVideoFrame vf;
    if (!buf || !gst_video_frame_map(&vf, &info, buf, GST_MAP_WRITE)) {
        if (buf) gst_buffer_unref(buf);
        GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("vidkompy: no output buffer"), (NULL));
        return GST_FLOW_ERROR;
    }
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&vf) && p < 4; p++) {
        gsize row_bytes;
        guint rows;
        plane_shape(&vf, p, &row_bytes, &rows);
        guint8 *dst = GST_VIDEO_FRAME_PLANE_DATA(&vf, p);
        gint dst_stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);
        for (guint r = 0; r < rows; r++)
            memcpy(dst + (gsize)r * dst_stride, out->data[p] + (ptrdiff_t)r * out->stride[p], row_bytes);
    }
    gst_video_frame_unmap(&vf);
    const GstVideoInfo *fg = &self->info[VIDKOMPY_STREAM_FG];
    GST_BUFFER_PTS(buf) = out->pts >= 0 ? (GstClockTime)out->pts : GST_CLOCK_TIME_NONE;
    if (GST_VIDEO_INFO_FPS_N(fg) > 0)
        GST_BUFFER_DURATION(buf) = gst_util_uint64_scale_int(GST_SECOND, GST_VIDEO_INFO_FPS_D(fg), GST_VIDEO_INFO_FPS_N(fg));
    post_lock(self);
    return gst_aggregator_finish_buffer(agg, buf);
}

/* Runs the session as far as the queued buffers allow: receive, and on AGAIN give it a buffer
 * of the stream it wants (or that stream's end); returns to wait when that pad is empty. */
static GstFlowReturn gst_vidkompy_aggregate(GstAggregator *agg, gboolean timeout) {
    GstVidkompy *self = GST_VIDKOMPY(agg);
    (void)timeout;
    if (!apply_placement(self)) return GST_FLOW_ERROR;
    for (;;) {
        VidkompyFrame out;
        int r = vidkompy_live_receive(self->live, &out);
        if (r == VIDKOMPY_OK) {
            GstFlowReturn flow = push_output(self, &out);
            if (flow != GST_FLOW_OK) return flow;
            continue;
        }
        if (r == VIDKOMPY_EOF) return GST_FLOW_EOS;
        if (r != VIDKOMPY_AGAIN) return fail(self, r);
        int s = vidkompy_live_wants(self->live);
        if (s != VIDKOMPY_STREAM_FG && s != VIDKOMPY_STREAM_BG) return fail(self, VIDKOMPY_ERROR_INTERNAL);
        GstAggregatorPad *pad = self->pads[s];
        GstBuffer *buf = gst_aggregator_pad_peek_buffer(pad);
        if (!buf) {
            if (!gst_aggregator_pad_is_eos(pad)) return GST_FLOW_OK; /* called again when it has one */
            if (self->ended[s]) return fail(self, VIDKOMPY_ERROR_INTERNAL);
            self->ended[s] = TRUE;
            r = vidkompy_live_send(self->live, s, NULL);
            if (r < 0) return fail(self, r);
            continue;
        }
        r = send_buffer(self, s, buf);
        gst_buffer_unref(buf);
        if (r == VIDKOMPY_OK) {
            gst_aggregator_pad_drop_buffer(pad);
        } else if (r != VIDKOMPY_AGAIN) {
            return fail(self, r);
        }
        /* AGAIN: the session holds all it may; receive, then the same buffer again. */
    }
}

static void gst_vidkompy_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
    GstVidkompy *self = GST_VIDKOMPY(object);
    switch (id) {
    case PROP_LIVE_LAG: self->live_lag = g_value_get_int(value); break;
    case PROP_PLACEMENT:
        g_free(self->placement);
        self->placement = g_value_dup_string(value);
        break;
    case PROP_MIN_CONFIDENCE: self->min_confidence = g_value_get_double(value); break;
    case PROP_FEATHER: self->feather = g_value_get_int(value); break;
    case PROP_CAPS_MATRIX: self->caps_matrix = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void gst_vidkompy_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
    GstVidkompy *self = GST_VIDKOMPY(object);
    switch (id) {
    case PROP_LIVE_LAG: g_value_set_int(value, self->live_lag); break;
    case PROP_PLACEMENT: g_value_set_string(value, self->placement); break;
    case PROP_MIN_CONFIDENCE: g_value_set_double(value, self->min_confidence); break;
    case PROP_FEATHER: g_value_set_int(value, self->feather); break;
    case PROP_CAPS_MATRIX: g_value_set_boolean(value, self->caps_matrix); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void gst_vidkompy_finalize(GObject *object) {
    GstVidkompy *self = GST_VIDKOMPY(object);
    vidkompy_live_free(&self->live);
    g_free(self->placement);
    G_OBJECT_CLASS(gst_vidkompy_parent_class)->finalize(object);
}

static void gst_vidkompy_class_init(GstVidkompyClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS(klass);
    object_class->set_property = gst_vidkompy_set_property;
    object_class->get_property = gst_vidkompy_get_property;
    object_class->finalize = gst_vidkompy_finalize;
    GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
    g_object_class_install_property(
        object_class, PROP_LIVE_LAG,
        g_param_spec_int("live-lag", "Live lag", "fg frames held before each decision (the element's latency)", 0,
                         100000, DEFAULT_LIVE_LAG, flags));
    g_object_class_install_property(
        object_class, PROP_PLACEMENT,
        g_param_spec_string("placement", "Placement", "x,y or x,y,scale of fg's top-left in bg (empty: searched)",
                            NULL, flags));
    g_object_class_install_property(
        object_class, PROP_MIN_CONFIDENCE,
        g_param_spec_double("min-confidence", "Minimum confidence",
                            "Placement score under which the pair is refused (negative: the library's default)", -1.0,
                            1.0, DEFAULT_MIN_CONFIDENCE, flags));
    g_object_class_install_property(
        object_class, PROP_FEATHER,
        g_param_spec_int("feather", "Feather", "Pixels over which fg's edge blends into bg (negative: the default)", -1,
                         10000, DEFAULT_FEATHER, flags));
    g_object_class_install_property(
        object_class, PROP_CAPS_MATRIX,
        g_param_spec_boolean("caps-matrix", "Matrix from caps",
                             "Take each stream's YCbCr matrix from its caps (GStreamer guesses it from the frame size "
                             "when the stream does not say; off: fg and bg share one)",
                             FALSE, flags));
    gst_element_class_add_static_pad_template_with_gtype(element_class, &fg_template, GST_TYPE_AGGREGATOR_PAD);
    gst_element_class_add_static_pad_template_with_gtype(element_class, &bg_template, GST_TYPE_AGGREGATOR_PAD);
    gst_element_class_add_static_pad_template_with_gtype(element_class, &src_template, GST_TYPE_AGGREGATOR_PAD);
    gst_element_class_set_static_metadata(element_class, "vidkompy", "Filter/Editor/Video/Compositor",
                                          "Finds where fg sits in bg and which bg frame belongs under each fg "
                                          "frame, and composites fg onto bg",
                                          "vidkompy");
    agg_class->start = gst_vidkompy_start;
    agg_class->stop = gst_vidkompy_stop;
    agg_class->aggregate = gst_vidkompy_aggregate;
    agg_class->sink_event = gst_vidkompy_sink_event;
    agg_class->update_src_caps = gst_vidkompy_update_src_caps;
}

static void gst_vidkompy_init(GstVidkompy *self) {
    static const char *names[2] = {"fg", "bg"};
    GstElementClass *klass = GST_ELEMENT_GET_CLASS(self);
    for (int s = 0; s < 2; s++) {
        GstPadTemplate *templ = gst_element_class_get_pad_template(klass, names[s]);
        self->pads[s] = g_object_new(GST_TYPE_AGGREGATOR_PAD, "name", names[s], "direction", GST_PAD_SINK, "template",
                                     templ, NULL);
        gst_element_add_pad(GST_ELEMENT(self), GST_PAD(self->pads[s]));
    }
    self->live_lag = DEFAULT_LIVE_LAG;
    self->min_confidence = DEFAULT_MIN_CONFIDENCE;
    self->feather = DEFAULT_FEATHER;
}

static gboolean plugin_init(GstPlugin *plugin) {
    return gst_element_register(plugin, "vidkompy", GST_RANK_NONE, GST_TYPE_VIDKOMPY);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, vidkompy, "Aligns and composites fg onto bg (vidkompy)",
                  plugin_init, VERSION, "MIT/X11", PACKAGE, "vidkompy")
