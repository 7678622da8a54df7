/*
 * render_y4m: a timeline as melt builds it (bg on track 0, fg on track 1, the transition
 * between them), rendered frame by frame to 4:2:0 Y4M straight from the tractor's images.
 *
 *   render_y4m BG FG[,FG2] OUT.y4m FRAMES [property=value ...]   (the transition's properties;
 *   FG2: a second clip after FG on the b-track)
 *
 * melt's avformat consumer converts the images it writes (with MLT 7.12 a 4:2:0 image
 * written as 4:2:0 comes out with a changed V plane), so the transition's own output is read
 * here, before any consumer. The profile is bg's (melt's automatic profile). MLT's log (at
 * the info level) goes to stderr, and then the transition's `progress` property. Exit status
 * 0 when every frame was written.
 */
#include <framework/mlt.h>
#include <stdio.h>
#include <string.h>

static int write_frame(FILE *out, mlt_service tractor, int position, int width, int height) {
    mlt_frame frame = NULL;
    mlt_producer_seek(MLT_PRODUCER(tractor), position);
    if (mlt_service_get_frame(tractor, &frame, 0) != 0 || !frame) return 0;
    mlt_image_format format = mlt_image_yuv420p;
    int w = width, h = height;
    uint8_t *image = NULL;
    int ok = mlt_frame_get_image(frame, &image, &format, &w, &h, 0) == 0 && image && format == mlt_image_yuv420p &&
             w == width && h == height;
    if (ok) {
        size_t size = (size_t)w * h * 3 / 2;
        ok = fputs("FRAME\n", out) >= 0 && fwrite(image, 1, size, out) == size;
    }
    mlt_frame_close(frame);
    return ok;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s BG FG[,FG2] OUT.y4m FRAMES [property=value ...]\n", argv[0]);
        return 2;
    }
    int frames = 0;
    if (sscanf(argv[4], "%d", &frames) != 1 || frames <= 0) return 2;
    if (!mlt_factory_init(NULL)) return 1;
    mlt_log_set_level(MLT_LOG_INFO); /* the transition's analysis and loading, for the tests */
    mlt_profile profile = mlt_profile_init(NULL);
    mlt_producer bg = mlt_factory_producer(profile, NULL, argv[1]);
    if (!bg) return 1;
    mlt_profile_from_producer(profile, bg);
    mlt_producer_close(bg);
    bg = mlt_factory_producer(profile, NULL, argv[1]);
    /* FG may name two clips, "a.mp4,b.mp4": a b-track playing one after the other. */
    char *second = strchr(argv[2], ',');
    if (second) *second++ = '\0';
    mlt_producer fg = mlt_factory_producer(profile, NULL, argv[2]);
    mlt_producer next = second ? mlt_factory_producer(profile, NULL, second) : NULL;
    mlt_playlist clips = mlt_playlist_init();
    if (!fg || (second && !next) || !clips) return 1;
    mlt_playlist_append(clips, fg);
    if (next) mlt_playlist_append(clips, next);
    mlt_transition transition = mlt_factory_transition(profile, "vidkompy", NULL);
    mlt_tractor tractor = mlt_tractor_new(); /* with a field and a multitrack */
    if (!bg || !fg || !transition || !tractor) return 1;
    mlt_producer_set_in_and_out(bg, 0, frames - 1);
    mlt_tractor_set_track(tractor, bg, 0);
    mlt_tractor_set_track(tractor, MLT_PLAYLIST_PRODUCER(clips), 1);
    for (int k = 5; k < argc; k++) {
        char *eq = strchr(argv[k], '=');
        if (!eq) return 2;
        *eq = '\0';
        mlt_properties_set(MLT_TRANSITION_PROPERTIES(transition), argv[k], eq + 1);
    }
    mlt_field_plant_transition(mlt_tractor_field(tractor), transition, 0, 1);
    FILE *out = fopen(argv[3], "wb");
    if (!out) return 1;
    fprintf(out, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C420jpeg\n", profile->width, profile->height, profile->frame_rate_num,
            profile->frame_rate_den);
    int ok = 1;
    for (int position = 0; ok && position < frames; position++)
        ok = write_frame(out, MLT_TRACTOR_SERVICE(tractor), position, profile->width, profile->height);
    ok = (fclose(out) == 0) && ok;
    fprintf(stderr, "transition progress %d\n", mlt_properties_get_int(MLT_TRANSITION_PROPERTIES(transition), "progress"));
    mlt_transition_close(transition);
    mlt_playlist_close(clips);
    if (next) mlt_producer_close(next);
    mlt_producer_close(fg);
    mlt_producer_close(bg);
    mlt_tractor_close(tractor);
    mlt_profile_close(profile);
    mlt_factory_close();
    return ok ? 0 : 1;
}
