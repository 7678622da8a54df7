/* Built by .ci/run against an installed vidkompy (pkg-config --cflags --libs vidkompy, shared and
 * --static): the header is found, the library links and loads, and its version is the header's. */
#include <vidkompy.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    unsigned want = (VIDKOMPY_VERSION_MAJOR << 16) | (VIDKOMPY_VERSION_MINOR << 8) | VIDKOMPY_VERSION_PATCH;
    if (vidkompy_version() != want) {
        fprintf(stderr, "library version %06x, header %06x\n", vidkompy_version(), want);
        return 1;
    }
    VidkompySettings *s = NULL;
    VidkompyError err;
    if (vidkompy_settings_new_ex(&s, &err) != VIDKOMPY_OK) return 1;
    int bad = vidkompy_settings_set(s, "no_such_key", "1");
    int ok = bad == VIDKOMPY_ERROR_INVALID_ARGUMENT && strstr(vidkompy_settings_last_error(s), "no_such_key") != NULL;
    vidkompy_settings_free(&s);
    printf("vidkompy %s installed and linked\n", vidkompy_version_string());
    return ok ? 0 : 1;
}
