/* good.c (runner self-test): a well-behaved binary: cases pass and skip, and one prints
   lines that merely look like results ("ok ...", a result line of another program). The
   run must pass with exactly 2 passed, 0 failed, 1 skipped. */
#define _POSIX_C_SOURCE 200809L
#include "../tn_test.h"

TN_TEST(passes) { TN_CHECK(1); }
TN_TEST(prints_lookalike_lines) {
    printf("ok this is just output\n");
    printf("ok other_prog.passes (1 ms)\n");
    printf("FAIL\n");
    printf("good: 9 passed, 0 failed, 0 skipped trailing\n");
}
TN_TEST(skips) { TN_SKIP("nothing to do here"); }

TN_TESTS(TN_CASE(passes), TN_CASE(prints_lookalike_lines), TN_CASE(skips))
