/*
 * latency_query: a pipeline (gst-launch syntax) paused until it prerolls, then the latency
 * query answered by the element named "vk" at its src pad, printed as
 * "live L min NS max NS". Exit status 0 when the query was answered (tests/gstreamer.rs).
 *
 *   latency_query "videotestsrc ! ... vidkompy name=vk live-lag=12 ! fakesink"
 */
#include <gst/gst.h>
#include <stdio.h>

int main(int argc, char **argv) {
    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: %s PIPELINE\n", argv[0]);
        return 2;
    }
    GError *error = NULL;
    GstElement *pipeline = gst_parse_launch(argv[1], &error);
    if (!pipeline) {
        fprintf(stderr, "%s\n", error ? error->message : "cannot build the pipeline");
        return 1;
    }
    gst_element_set_state(pipeline, GST_STATE_PAUSED);
    int ok = gst_element_get_state(pipeline, NULL, NULL, 60 * GST_SECOND) == GST_STATE_CHANGE_SUCCESS;
    GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), "vk");
    GstPad *src = element ? gst_element_get_static_pad(element, "src") : NULL;
    GstQuery *query = gst_query_new_latency();
    ok = ok && src && gst_pad_query(src, query);
    gboolean live = FALSE;
    GstClockTime min = 0, max = 0;
    gst_query_parse_latency(query, &live, &min, &max);
    if (ok) printf("live %d min %" G_GUINT64_FORMAT " max %" G_GUINT64_FORMAT "\n", live, min, max);
    gst_query_unref(query);
    if (src) gst_object_unref(src);
    if (element) gst_object_unref(element);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    return ok ? 0 : 1;
}
