// compile_cpp.cpp: the header instantiated as C++ (declarations in extern "C").
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

int main() {
    tn_loop *loop = nullptr;
    int rc = tn_loop_new(nullptr, &loop);
    if (rc == 0) rc = tn_loop_free(loop);
    return rc == 0 && tn_strerror(TN_EINVAL)[0] ? 0 : 1;
}
