/* tn_test.h: the test harness: typed asserts, a case table, one child process per case.

   A test file:
       #define TORNADO_IMPLEMENTATION
       #include "../tornado.h"
       #include "tn_test.h"
       TN_TEST(adds) { TN_EQ_INT(1 + 1, 2); }
       TN_TESTS(TN_CASE(adds))

   The binary runs each case in a forked child with an alarm (TN_TEST_TIMEOUT seconds,
   default 60; a case may set its own with TN_CASE_T(name, seconds)) and prints one line per
   case: "ok NAME (ms)", "FAIL NAME: why", "skip NAME: why". Arguments filter cases by name
   substring; -l lists them. tests/run.py runs every binary and prints the totals; it takes
   only these exact lines as results, and fails a binary that exits non-zero (1 with a FAIL
   excepted), dies on a signal, times out, or leaves a case -l declares unreported. */
#ifndef TN_TEST_H
#define TN_TEST_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
/* Windows (mingw-w64, run under wine by tests/run.py): each case runs in a child process
   too, the same .exe started again with "--case NAME", with a timeout. */
#  include <winsock2.h>
#  include <windows.h>
#  include <process.h>
#  include <fcntl.h>
#  include <io.h>
/* pclose's status is the exit code itself there */
#  ifndef WIFEXITED
#    define WIFEXITED(st) ((st) != -1)
#    define WEXITSTATUS(st) (st)
#  endif
#else
#  include <sys/resource.h>
#  include <sys/time.h>
#  include <sys/wait.h>
#  include <unistd.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define TN_TEST_UNUSED __attribute__((unused))
#else
#  define TN_TEST_UNUSED
#endif

typedef struct tn_test_case {
    const char *name;
    void (*fn)(void);
    int timeout_s;  /* 0 = default */
} tn_test_case;

#define TN_TEST(name) static void test_##name(void)
#define TN_CASE(name) { #name, test_##name, 0 }
#define TN_CASE_T(name, seconds) { #name, test_##name, seconds }

#define TN_SKIP_EXIT 77

static const char *tn_test_current = "?";

TN_TEST_UNUSED static void tn_test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
    _exit(1);
}

static const char *tn_test_prog = "?";

/* Skip this case (a missing optional peer): say what to install. */
TN_TEST_UNUSED static void tn_test_skip(const char *fmt, ...) {
    va_list ap;
    printf("skip %s.%s: ", tn_test_prog, tn_test_current);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    _exit(TN_SKIP_EXIT);
}
#define TN_SKIP(...) tn_test_skip(__VA_ARGS__)

/* A case (or the rest of one) that needs what only POSIX systems have (fork, signals, pipes
   as pollable fds, unix sockets, rlimits): on Windows it skips, saying why. The code after
   it still compiles there (tests/win/ has stand-ins that fail if ever called). */
#if defined(_WIN32)
#  define TN_POSIX_ONLY(why) TN_SKIP("POSIX only: %s", why)
#else
#  define TN_POSIX_ONLY(why) ((void)0)
#endif

/* A case too slow under wine for make test's budget (wine's sockets take many times Linux's
   time for bulk transfers and thousands of connections): skips there, saying why. On Linux
   and on a real Windows it runs. */
#if defined(_WIN32)
TN_TEST_UNUSED static int tn_test_under_wine(void) {
    HMODULE nt = GetModuleHandleA("ntdll.dll");
    return nt && GetProcAddress(nt, "wine_get_version") != NULL;
}
#  define TN_SLOW_UNDER_WINE(why) \
    do { if (tn_test_under_wine()) TN_SKIP("too slow under wine: %s (the Linux builds run it)", why); } while (0)
#else
TN_TEST_UNUSED static int tn_test_under_wine(void) { return 0; }
#  define TN_SLOW_UNDER_WINE(why) ((void)0)
#endif

#define TN_CHECK(cond)                                                                  \
    do {                                                                                \
        if (!(cond)) tn_test_fail(__FILE__, __LINE__, "check failed: %s", #cond);       \
    } while (0)

#define TN_CHECKF(cond, ...)                                                            \
    do {                                                                                \
        if (!(cond)) tn_test_fail(__FILE__, __LINE__, __VA_ARGS__);                     \
    } while (0)

#define TN_EQ_INT(a, b)                                                                 \
    do {                                                                                \
        long long tn_a_ = (long long)(a), tn_b_ = (long long)(b);                       \
        if (tn_a_ != tn_b_)                                                             \
            tn_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, tn_a_, tn_b_); \
    } while (0)

#define TN_EQ_UINT(a, b)                                                                \
    do {                                                                                \
        unsigned long long tn_a_ = (unsigned long long)(a), tn_b_ = (unsigned long long)(b); \
        if (tn_a_ != tn_b_)                                                             \
            tn_test_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, tn_a_, tn_b_); \
    } while (0)

/* Compare result codes and print their names. */
#define TN_EQ_RC(a, b)                                                                  \
    do {                                                                                \
        int tn_a_ = (int)(a), tn_b_ = (int)(b);                                         \
        if (tn_a_ != tn_b_)                                                             \
            tn_test_fail(__FILE__, __LINE__, "%s == %s: %s (%d) != %s (%d)", #a, #b,    \
                         tn_err_name(tn_a_), tn_a_, tn_err_name(tn_b_), tn_b_);         \
    } while (0)

#define TN_OK_RC(a) TN_EQ_RC(a, 0)

#define TN_EQ_STR(a, b)                                                                 \
    do {                                                                                \
        const char *tn_a_ = (a), *tn_b_ = (b);                                          \
        if (!tn_a_ || !tn_b_ || strcmp(tn_a_, tn_b_) != 0)                              \
            tn_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,      \
                         tn_a_ ? tn_a_ : "(null)", tn_b_ ? tn_b_ : "(null)");           \
    } while (0)

/* A tn_str equal to a C string. */
#define TN_EQ_TSTR(s, cstr)                                                             \
    do {                                                                                \
        tn_str tn_s_ = (s);                                                             \
        const char *tn_c_ = (cstr);                                                     \
        if (tn_s_.len != strlen(tn_c_) || (tn_s_.len && memcmp(tn_s_.ptr, tn_c_, tn_s_.len) != 0)) \
            tn_test_fail(__FILE__, __LINE__, "%s == \"%s\": got \"%.*s\"", #s, tn_c_,   \
                         (int)(tn_s_.len > 200 ? 200 : tn_s_.len), tn_s_.ptr ? tn_s_.ptr : ""); \
    } while (0)

#define TN_EQ_MEM(a, b, n)                                                              \
    do {                                                                                \
        if (memcmp((a), (b), (n)) != 0)                                                 \
            tn_test_fail(__FILE__, __LINE__, "memory %s != %s (%lu bytes)", #a, #b,     \
                         (unsigned long)(n));                                           \
    } while (0)

#if defined(_WIN32)
TN_TEST_UNUSED static double tn_test_ms(void) { return (double)GetTickCount64(); }

static const char *tn_test_self = "";

static int tn_test_run_one(const tn_test_case *c, const char *prog) {
    int default_timeout = getenv("TN_TEST_TIMEOUT") ? atoi(getenv("TN_TEST_TIMEOUT")) : 60;
    int timeout = c->timeout_s ? c->timeout_s : default_timeout;
    double t0 = tn_test_ms();
    char cmd[1024];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD code = 1;
    int tries = 0;
    fflush(stdout);
    fflush(stderr);
    snprintf(cmd, sizeof cmd, "\"%s\" --case %s", tn_test_self, c->name);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    /* starting the case's process is the harness's part, not the case's: wine on a loaded
       machine has been seen to refuse one start now and then, so a refusal is retried */
    while (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        if (++tries == 5) {
            printf("FAIL %s.%s: CreateProcess failed (error %lu, %d tries)\n", prog, c->name,
                   (unsigned long)GetLastError(), tries);
            return 1;
        }
        Sleep(200u * (unsigned)tries);
    }
    if (WaitForSingleObject(pi.hProcess, (DWORD)timeout * 1000u) == WAIT_TIMEOUT) {
        TerminateProcess(pi.hProcess, 1);
        WaitForSingleObject(pi.hProcess, INFINITE);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
        printf("FAIL %s.%s: timed out after %d s\n", prog, c->name, timeout);
        return 1;
    }
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    if (code == 0) {
        printf("ok %s.%s (%.0f ms)\n", prog, c->name, tn_test_ms() - t0);
        return 0;
    }
    if (code == TN_SKIP_EXIT) return 2;   /* the child printed the reason */
    printf("FAIL %s.%s: exit status %lu\n", prog, c->name, (unsigned long)code);
    return 1;
}
#else
TN_TEST_UNUSED static double tn_test_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

static int tn_test_run_one(const tn_test_case *c, const char *prog) {
    int default_timeout = getenv("TN_TEST_TIMEOUT") ? atoi(getenv("TN_TEST_TIMEOUT")) : 60;
    int timeout = c->timeout_s ? c->timeout_s : default_timeout;
    double t0 = tn_test_ms();
    int status = 0;
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        printf("FAIL %s.%s: fork failed\n", prog, c->name);
        return 1;
    }
    if (pid == 0) {
        tn_test_current = c->name;
        tn_test_prog = prog;
        alarm((unsigned)timeout);
        c->fn();
        fflush(stdout);
        fflush(stderr);
        exit(0);   /* exit, not _exit: LeakSanitizer checks at exit */
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("ok %s.%s (%.0f ms)\n", prog, c->name, tn_test_ms() - t0);
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == TN_SKIP_EXIT) {
        return 2;   /* the child printed the reason */
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        printf("FAIL %s.%s: timed out after %d s\n", prog, c->name, timeout);
    else if (WIFSIGNALED(status))
        printf("FAIL %s.%s: killed by signal %d\n", prog, c->name, WTERMSIG(status));
    else
        printf("FAIL %s.%s: exit status %d\n", prog, c->name, WEXITSTATUS(status));
    return 1;
}
#endif

static int tn_test_main(int argc, char **argv, const tn_test_case *cases, size_t n) {
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    size_t i;
    int a, failed = 0, passed = 0, skipped = 0;
#if defined(_WIN32)
    static char self[MAX_PATH];
    char *dot;
    if (strrchr(prog, '\\')) prog = strrchr(prog, '\\') + 1;
    GetModuleFileNameA(NULL, self, sizeof self);
    tn_test_self = self;
    (void)_setmode(_fileno(stdout), _O_BINARY);   /* "\n", not "\r\n": tests/run.py reads lines */
    (void)_setmode(_fileno(stderr), _O_BINARY);
    if (argc > 2 && strcmp(argv[1], "--case") == 0) {   /* the child: one case, in-process */
        {
            static char base[MAX_PATH];
            snprintf(base, sizeof base, "%s", prog);
            if ((dot = strstr(base, ".exe")) != NULL) *dot = 0;
            tn_test_prog = base;
        }
        for (i = 0; i < n; i++) {
            if (strcmp(cases[i].name, argv[2]) != 0) continue;
            WSADATA wsa;
            tn_test_current = cases[i].name;
            (void)WSAStartup(MAKEWORD(2, 2), &wsa);   /* test code makes sockets before any loop */
            setvbuf(stdout, NULL, _IONBF, 0);
            cases[i].fn();
            fflush(stdout);
            fflush(stderr);
            exit(0);
        }
        return 1;
    }
    {
        static char base[MAX_PATH];
        snprintf(base, sizeof base, "%s", prog);
        if ((dot = strstr(base, ".exe")) != NULL) *dot = 0;
        prog = base;
    }
#endif
    if (argc > 1 && strcmp(argv[1], "-l") == 0) {
        for (i = 0; i < n; i++) printf("%s\n", cases[i].name);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 0; i < n; i++) {
        int run = argc <= 1, r;
        for (a = 1; a < argc; a++)
            if (strstr(cases[i].name, argv[a])) run = 1;
        if (!run) continue;
        r = tn_test_run_one(&cases[i], prog);
        if (r == 0) passed++;
        else if (r == 2) skipped++;
        else failed++;
    }
    printf("%s: %d passed, %d failed, %d skipped\n", prog, passed, failed, skipped);
    return failed ? 1 : 0;
}

/* ---- a counting allocator (tests that check every allocation is freed, or inject
   failures): plug it into tn_loop_opts.allocator with tn_test_counting(&ca). ---- */
#ifdef TORNADO_H_INCLUDED
typedef struct counting_alloc {
    long live;         /* allocations not yet freed */
    long total;        /* allocations made */
    long fail_after;   /* > 0: the n-th allocation or reallocation from now fails */
    long bytes;        /* bytes held (what was asked for, live allocations only) */
    long reallocs;     /* reallocations of a live block made */
} counting_alloc;

/* Each block carries its size in a 16-byte header (alignment kept) so bytes can be counted. */
#define TN_CA_HDR 16
TN_TEST_UNUSED static void *ca_alloc(size_t n, void *u) {
    counting_alloc *c = (counting_alloc *)u;
    char *p;
    if (c->fail_after > 0 && --c->fail_after == 0) return NULL;
    p = (char *)malloc(n + TN_CA_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    c->live++;
    c->total++;
    c->bytes += (long)n;
    return p + TN_CA_HDR;
}
TN_TEST_UNUSED static void *ca_realloc(void *p, size_t n, void *u) {
    counting_alloc *c = (counting_alloc *)u;
    char *q;
    size_t old = 0;
    if (!p) return ca_alloc(n, u);
    if (c->fail_after > 0 && --c->fail_after == 0) return NULL;
    memcpy(&old, (char *)p - TN_CA_HDR, sizeof old);
    c->reallocs++;
    q = (char *)realloc((char *)p - TN_CA_HDR, n + TN_CA_HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    c->bytes += (long)n - (long)old;
    return q + TN_CA_HDR;
}
TN_TEST_UNUSED static void ca_free(void *p, void *u) {
    counting_alloc *c = (counting_alloc *)u;
    size_t n;
    if (!p) return;
    memcpy(&n, (char *)p - TN_CA_HDR, sizeof n);
    c->live--;
    c->bytes -= (long)n;
    free((char *)p - TN_CA_HDR);
}
TN_TEST_UNUSED static tn_allocator tn_test_counting(counting_alloc *c) {
    tn_allocator a;
    a.alloc = ca_alloc;
    a.realloc = ca_realloc;
    a.free = ca_free;
    a.user = c;
    return a;
}
#endif

#define TN_TESTS(...)                                                                   \
    static const tn_test_case tn_test_cases[] = { __VA_ARGS__ };                        \
    int main(int argc, char **argv) {                                                   \
        return tn_test_main(argc, argv, tn_test_cases,                                  \
                            sizeof tn_test_cases / sizeof tn_test_cases[0]);            \
    }

#endif /* TN_TEST_H */
