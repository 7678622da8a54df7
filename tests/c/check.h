/* The CHECK macro shared by the C tests: counts failures instead of stopping, so one run
 * reports every failed check. */
#ifndef VIDKOMPY_TEST_CHECK_H
#define VIDKOMPY_TEST_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
            failures++;                                                               \
        }                                                                             \
    } while (0)

/* Exit status of a test program: prints the count of failed checks. */
static int finish(const char *name) {
    if (failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

#endif
