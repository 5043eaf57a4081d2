/* crash.c (runner self-test): the second case kills the test binary itself, so the third
   case never reports. tests/run.py must fail the run and name this binary. */
#define _POSIX_C_SOURCE 200809L
#include "../tn_test.h"

TN_TEST(first_passes) { TN_CHECK(1); }
TN_TEST(second_kills_the_runner_process) {
    kill(getppid(), SIGSEGV);   /* the parent (tn_test_main) dies, not just this case */
    _exit(0);
}
TN_TEST(third_never_reports) { TN_CHECK(0); }

TN_TESTS(TN_CASE(first_passes), TN_CASE(second_kills_the_runner_process), TN_CASE(third_never_reports))
