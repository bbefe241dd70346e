/* darknet's src/demo.c, untouched, compiled with OPENCV defined: the only
 * way its demo() is compiled at all (reference_demo.c gives the OpenCV
 * calls it makes). */
#define OPENCV 1
#include "demo.c"
