/* fuzz_main.h: the replay main() shared by the fuzz harnesses (built with -DTN_FUZZ_MAIN when
   libFuzzer is not used): each argument is a file or a directory of files; every file is fed
   to LLVMFuzzerTestOneInput once. Prints how many inputs ran. */
#ifdef TN_FUZZ_MAIN
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int tn_fuzz_run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    long n;
    unsigned char *buf;
    if (!f) {
        fprintf(stderr, "fuzz: cannot open %s\n", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (unsigned char *)malloc(n > 0 ? (size_t)n : 1);
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        fprintf(stderr, "fuzz: cannot read %s\n", path);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)(n > 0 ? n : 0));
    free(buf);
    return 1;
}

int main(int argc, char **argv) {
    int i, count = 0;
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz: no such file or directory: %s\n", argv[i]);
            return 2;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            if (!d) return 2;
            while ((e = readdir(d)) != NULL) {
                char path[4096];
                if (e->d_name[0] == '.') continue;
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                if (tn_fuzz_run_file(path) < 0) return 2;
                count++;
            }
            closedir(d);
        } else {
            if (tn_fuzz_run_file(argv[i]) < 0) return 2;
            count++;
        }
    }
    printf("%s: %d inputs replayed\n", argv[0], count);
    return 0;
}
#endif
