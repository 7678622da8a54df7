/* The Swift package's module map, imported from C as Swift would: the module builds, declares
 * the API, and links to the library. */
#pragma clang module import CVidkompy
#include <string.h>

int main(void) {
    VidkompySettings *settings = NULL;
    if (vidkompy_settings_new(&settings) != VIDKOMPY_OK) return 1;
    if (vidkompy_settings_set(settings, "feather", "4") != VIDKOMPY_OK) return 2;
    if (vidkompy_settings_set(settings, "no_such_key", "1") != VIDKOMPY_ERROR_INVALID_ARGUMENT) return 3;
    if (strstr(vidkompy_settings_last_error(settings), "no_such_key") == NULL) return 4;
    VidkompyAnalyzer *analyzer = NULL;
    if (vidkompy_analyzer_new(settings, &analyzer) != VIDKOMPY_OK) return 5;
    vidkompy_analyzer_free(&analyzer);
    vidkompy_settings_free(&settings);
    return analyzer == NULL && settings == NULL && (vidkompy_version() >> 16) == VIDKOMPY_VERSION_MAJOR ? 0 : 6;
}
