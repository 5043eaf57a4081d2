/* tn_impl.c: the implementation alone. The Makefile compiles it once per test variant
   (build/VARIANT/tn_impl.o, with that variant's flags) and links it into the test programs
   listed in SHARED_TESTS, which are compiled with TORNADO_IMPLEMENTATION_INCLUDED. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
