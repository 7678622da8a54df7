/* The C API as one module: vidkompy.h is found on the include path pkg-config gives. */
#include <vidkompy.h>
