/* exit1.c (runner self-test): every case prints "ok", then the binary exits 1 (say, a
   leak check or an atexit hook failed). tests/run.py must fail the run and name it. */
#define _POSIX_C_SOURCE 200809L
#include "../tn_test.h"

TN_TEST(one) { TN_CHECK(1); }
TN_TEST(two) { TN_CHECK(1); }

static const tn_test_case cases[] = {TN_CASE(one), TN_CASE(two)};

int main(int argc, char **argv) {
    int rc = tn_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
    if (argc > 1 && strcmp(argv[1], "-l") == 0) return rc;
    return 1;
}
