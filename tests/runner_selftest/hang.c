/* hang.c (runner self-test): the second case never returns and its own alarm is far away,
   so the binary hangs. tests/run.py (run with a short --timeout) must fail the run, name
   this binary, and kill the whole process group (the hung case is a grandchild). */
#define _POSIX_C_SOURCE 200809L
#include "../tn_test.h"

TN_TEST(first_passes) { TN_CHECK(1); }
TN_TEST(second_hangs) {
    for (;;) pause();
}

TN_TESTS(TN_CASE(first_passes), TN_CASE_T(second_hangs, 3600))
