/* full.c (make size): the whole implementation with the toggles given, as one object. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
