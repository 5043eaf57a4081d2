/* short.c (runner self-test): declares three cases (-l) but runs only two and exits 0
   with a consistent summary. tests/run.py must notice the missing case. */
#define _POSIX_C_SOURCE 200809L
#include "../tn_test.h"

TN_TEST(one) { TN_CHECK(1); }
TN_TEST(two) { TN_CHECK(1); }
TN_TEST(three) { TN_CHECK(1); }

static const tn_test_case cases[] = {TN_CASE(one), TN_CASE(two), TN_CASE(three)};

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "-l") == 0) return tn_test_main(argc, argv, cases, 3);
    return tn_test_main(argc, argv, cases, 2);   /* "forgets" the last one */
}
