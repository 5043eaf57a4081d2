/* tests/win/sys/mman.h: for the Windows test build only (make build/win/...): the guard
   page tests' mmap/mprotect/munmap and sysconf(_SC_PAGESIZE) over VirtualAlloc. */
#ifndef TN_TEST_WIN_MMAN_H
#define TN_TEST_WIN_MMAN_H
#include <windows.h>
#include <stddef.h>
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED ((void *)-1)
#ifndef _SC_PAGESIZE
#define _SC_PAGESIZE 30
#endif
__attribute__((unused)) static void *tn_win_mmap(void *addr, size_t n, int prot, int flags, int fd, long off) {
    void *p;
    (void)addr; (void)prot; (void)flags; (void)fd; (void)off;
    p = VirtualAlloc(NULL, n, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    return p ? p : MAP_FAILED;
}
__attribute__((unused)) static int tn_win_mprotect(void *p, size_t n, int prot) {
    DWORD old;
    return VirtualProtect(p, n, prot == PROT_NONE ? PAGE_NOACCESS : PAGE_READWRITE, &old) ? 0 : -1;
}
__attribute__((unused)) static int tn_win_munmap(void *p, size_t n) { (void)n; return VirtualFree(p, 0, MEM_RELEASE) ? 0 : -1; }
__attribute__((unused)) static long tn_win_sysconf(int name) {
    SYSTEM_INFO si;
    (void)name;
    GetSystemInfo(&si);
    return (long)si.dwPageSize;
}
#define mmap tn_win_mmap
#define mprotect tn_win_mprotect
#define munmap tn_win_munmap
#define sysconf tn_win_sysconf
#endif
