/* The header's threading promise for the analysis: with the setting "threads" the analyzer
 * and a live session compute on helper threads, yet every callback and frame provider is
 * called on the thread that called the library, and the result is the one the calling thread
 * alone gives (alignment JSON byte for byte; the live session's frames and decisions). Bad
 * values of the setting are refused and change nothing. */
/* fork, alarm, waitpid and _exit under -std=c99. */
#define _POSIX_C_SOURCE 200809L
#include "vidkompy.h"
#include "check.h"
#include "scene.h"
#include "frames.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_t caller;
static int calls_elsewhere, calls;

static void note_thread(void) {
    calls++;
    if (!pthread_equal(pthread_self(), caller)) calls_elsewhere++;
}

static void on_log(void *user, int level, const char *message) {
    (void)user, (void)level, (void)message;
    note_thread();
}

static void on_progress(void *user, size_t fg, size_t bg) {
    (void)user, (void)fg, (void)bg;
    note_thread();
}

static void on_stage(void *user, int stage, double done) {
    (void)user, (void)stage, (void)done;
    note_thread();
}

static int provide(void *user, int stream, int64_t index, VidkompyFrame *frame) {
    (void)user;
    note_thread();
    if (stream == VIDKOMPY_STREAM_FG && index >= 0 && index < FG_FRAMES) {
        *frame = fg_frame((int)index);
        return 0;
    }
    if (stream == VIDKOMPY_STREAM_BG && index >= 0 && index < BG_FRAMES) {
        *frame = bg_frame((int)index);
        return 0;
    }
    return -1;
}

static VidkompySettings *with_threads(const char *threads) {
    VidkompySettings *s = NULL;
    CHECK(vidkompy_settings_new(&s) == VIDKOMPY_OK);
    CHECK(vidkompy_settings_set(s, "threads", threads) == VIDKOMPY_OK);
    return s;
}

/* The alignment's JSON from an analysis with a provider and every callback set; its placement
 * and map checked against the truth. */
static char *analysed_json(const char *threads) {
    VidkompySettings *s = with_threads(threads);
    VidkompyAnalyzer *an = NULL;
    CHECK(vidkompy_analyzer_new(s, &an) == VIDKOMPY_OK);
    CHECK(vidkompy_analyzer_set_callbacks(an, on_log, on_progress, NULL) == VIDKOMPY_OK);
    CHECK(vidkompy_analyzer_set_stage_callback(an, on_stage, NULL) == VIDKOMPY_OK);
    CHECK(vidkompy_analyzer_set_frame_provider(an, provide, NULL) == VIDKOMPY_OK);
    for (int j = 0; j < BG_FRAMES; j++) {
        VidkompyFrame f = bg_frame(j);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_BG, &f) == VIDKOMPY_OK);
    }
    for (int i = 0; i < FG_FRAMES; i++) {
        VidkompyFrame g = fg_frame(i);
        CHECK(vidkompy_analyzer_push(an, VIDKOMPY_STREAM_FG, &g) == VIDKOMPY_OK);
    }
    VidkompyAlignment *al = NULL;
    int status = vidkompy_analyzer_finish(an, &al);
    if (status != VIDKOMPY_OK) fprintf(stderr, "finish (threads %s): %s\n", threads, vidkompy_analyzer_last_error(an));
    CHECK(status == VIDKOMPY_OK);
    char *json = NULL;
    if (al != NULL) {
        size_t needed = 0;
        CHECK(vidkompy_alignment_to_json(al, NULL, 0, &needed) == VIDKOMPY_ERROR_INVALID_ARGUMENT);
        json = (char *)malloc(needed);
        CHECK(json != NULL && vidkompy_alignment_to_json(al, json, needed, &needed) == VIDKOMPY_OK);
        VidkompyPlacement p;
        CHECK(vidkompy_alignment_placement(al, &p) == VIDKOMPY_OK);
        CHECK(p.x == FX && p.y == FY && p.width == FW && p.height == FH);
        for (size_t i = 0; i < FG_FRAMES; i++) {
            uint32_t j = 0;
            int outside = -1;
            CHECK(vidkompy_alignment_bg_index(al, i, &j, &outside) == VIDKOMPY_OK);
            CHECK(j == i + OFFSET && outside == 0);
        }
    }
    vidkompy_alignment_free(&al);
    vidkompy_analyzer_free(&an);
    vidkompy_settings_free(&s);
    return json;
}

/* A live session fed bg then fg, frame by frame: the sum of its output luma and the bg frame
 * under each fg frame. */
typedef struct {
    uint64_t luma_sum;
    int64_t bg_under[FG_FRAMES];
    int frames;
} LiveRun;

static LiveRun live_run(const char *threads) {
    LiveRun run;
    memset(&run, 0, sizeof run);
    VidkompySettings *s = with_threads(threads);
    CHECK(vidkompy_settings_set(s, "live_lag", "8") == VIDKOMPY_OK);
    VidkompyLive *lv = NULL;
    CHECK(vidkompy_live_new(s, &lv) == VIDKOMPY_OK);
    CHECK(vidkompy_live_set_stage_callback(lv, on_stage, NULL) == VIDKOMPY_OK);
    int fg_sent = 0, bg_sent = 0;
    for (int guard = 0; guard < 10000; guard++) {
        VidkompyFrame out;
        int status = vidkompy_live_receive(lv, &out);
        if (status == VIDKOMPY_OK) {
            int64_t fg_index = -1, bg_index = -1;
            int outside = 0;
            CHECK(vidkompy_live_last_frame(lv, &fg_index, &bg_index, &outside) == VIDKOMPY_OK);
            if (fg_index >= 0 && fg_index < FG_FRAMES) run.bg_under[fg_index] = bg_index;
            for (int y = 0; y < BH; y++)
                for (int x = 0; x < BW; x++) run.luma_sum += out.data[0][y * out.stride[0] + x];
            run.frames++;
            continue;
        }
        if (status == VIDKOMPY_EOF) break;
        if (status != VIDKOMPY_AGAIN) {
            fprintf(stderr, "live (threads %s): %d %s\n", threads, status, vidkompy_live_last_error(lv));
            CHECK(0);
            break;
        }
        int wants = vidkompy_live_wants(lv);
        if (wants == VIDKOMPY_STREAM_FG) {
            VidkompyFrame g = fg_frame(fg_sent);
            CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_FG, fg_sent < FG_FRAMES ? &g : NULL) == VIDKOMPY_OK);
            if (fg_sent <= FG_FRAMES) fg_sent++;
        } else {
            VidkompyFrame f = bg_frame(bg_sent);
            CHECK(vidkompy_live_send(lv, VIDKOMPY_STREAM_BG, bg_sent < BG_FRAMES ? &f : NULL) == VIDKOMPY_OK);
            if (bg_sent <= BG_FRAMES) bg_sent++;
        }
    }
    vidkompy_live_free(&lv);
    vidkompy_settings_free(&s);
    return run;
}

/* The header's promise for a fork: a process forked after the helpers started (they are not
 * in the child, and their pool's lock may have been held at the fork) computes on its calling
 * thread alone, to the same answer. The child analyses again under an alarm, so that a child
 * waiting for helpers it lacks fails the test instead of hanging it. */
static void forked_child_analyses_alone(const char *expected) {
    fflush(NULL);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        alarm(300);
        char *again = analysed_json("4");
        int same = again != NULL && expected != NULL && strcmp(again, expected) == 0;
        free(again);
        _exit(same && failures == 0 && calls_elsewhere == 0 ? 0 : 1);
    }
    if (child < 0) return;
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) fprintf(stderr, "the forked child ended by signal %d\n", WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
    make_frames();
    caller = pthread_self();

    /* The setting's range: 0..256; a bad value changes nothing. */
    VidkompySettings *s = with_threads("256");
    CHECK(vidkompy_settings_set(s, "threads", "257") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vidkompy_settings_last_error(s), "threads") != NULL);
    CHECK(vidkompy_settings_set(s, "threads", "-1") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_set(s, "threads", "two") == VIDKOMPY_ERROR_INVALID_ARGUMENT);
    CHECK(vidkompy_settings_set(s, "threads", "0") == VIDKOMPY_OK);
    vidkompy_settings_free(&s);

    /* Under valgrind (VIDKOMPY_C_TEST_SHORT set by CI), where an analysis costs minutes, one
     * analysis on helpers: its frames and callbacks checked, its answer against the truth
     * (as every analysis here). */
    int short_run = getenv("VIDKOMPY_C_TEST_SHORT") != NULL;
    char *helped = analysed_json("4");
    CHECK(calls > 0 && helped != NULL); /* the provider and callbacks were called */
    if (!short_run) {
        char *alone = analysed_json("1");
        char *by_cores = analysed_json("0");
        CHECK(alone != NULL && by_cores != NULL);
        if (alone != NULL && helped != NULL) CHECK(strcmp(alone, helped) == 0);
        if (alone != NULL && by_cores != NULL) CHECK(strcmp(alone, by_cores) == 0);
        free(alone);
        free(by_cores);
        forked_child_analyses_alone(helped);

        LiveRun live_alone = live_run("1");
        LiveRun live_helped = live_run("3");
        CHECK(live_alone.frames == FG_FRAMES && live_helped.frames == FG_FRAMES);
        CHECK(live_alone.luma_sum == live_helped.luma_sum);
        CHECK(memcmp(live_alone.bg_under, live_helped.bg_under, sizeof live_alone.bg_under) == 0);
        for (int i = 0; i < FG_FRAMES; i++) CHECK(live_helped.bg_under[i] == i + OFFSET);
    }
    free(helped);

    CHECK(calls_elsewhere == 0); /* every callback and provider call on the calling thread */
    return finish("test_threads");
}
