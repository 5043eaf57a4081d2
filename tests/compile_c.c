/* compile_c.c: the header instantiated as C99; references symbols so the implementation
   is really compiled (the compile matrix builds this with every toggle). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "../tornado.h" /* twice: the guards must hold */

int tn_compile_check(void);
int tn_compile_check(void) {
    tn_loop *loop = NULL;
    int rc = tn_loop_new(NULL, &loop);
    if (rc == 0) rc = tn_loop_free(loop);
    return rc + (tn_strerror(TN_EINVAL)[0] != 0);
}

#ifndef TN_COMPILE_NO_MAIN
int main(void) { return tn_compile_check() == 1 ? 0 : 1; }
#endif
