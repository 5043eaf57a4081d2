# tornado.h: build, test, demo, bench. Everything lands in build/.
#   make            examples and tests
#   make test       every check and test (tests/run.py): amalgamation, compile matrix,
#                   symbol check, unit + network tests normally, on the poll backend, in
#                   the generic-POSIX mode (TORNADO_GENERIC_POSIX) and under ASan+UBSan,
#                   Windows (mingw-w64 builds, the tests under wine), examples compiled,
#                   the runner's own self-test
#   make demo       build and start the demo site on 127.0.0.1:8888 (examples/demo.c)
#   make demo-assets regenerate examples/demo_assets.h from examples/demo_assets/
#   make bench      benchmarks with side-by-side peers
#   make amalgamate regenerate tornado.h from src/
#   make fuzz SECONDS=N   run each fuzz harness for N seconds (clang + libFuzzer)
#   make size       code size of small programs per toggle set (tools/size.py)
#   make firmware   examples/firmware/firmware.c for a Cortex-M4 on lwIP (TORNADO_PLATFORM_LWIP)

CC      ?= cc
PY      ?= python3
WARN    := -std=c99 -Wall -Wextra -Wpedantic -Wundef -Werror
# DEBUG: the debug information. make test builds with DEBUG=-g1 (line tables: what ASan's and
# UBSan's reports need, and about a fifth less compile time than -g); for gdb's locals in a
# binary make test built, rebuild it: make -B DEBUG=-g build/tests/test_x
DEBUG   ?= -g
OPT     ?= -O2 $(DEBUG)
TOPT    := -O1 $(DEBUG) -DTORNADO_LINE_DIRECTIVES
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LIBS    := -lpthread
SECONDS ?= 30

TESTS    := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
EXAMPLES := $(patsubst examples/%.c,%,$(wildcard examples/*.c))
BENCHES  := $(patsubst bench/%.c,%,$(wildcard bench/*.c))
DEPS     := tornado.h tests/tn_test.h tests/tn_test_client.h

.PHONY: all test demo demo-assets bench amalgamate fuzz size firmware clean examples tests
all: examples tests
examples: $(addprefix build/examples/,$(EXAMPLES))
tests: $(addprefix build/tests/,$(TESTS))

amalgamate:
	$(PY) amalgamate.py

build/tests/%: tests/%.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(TOPT) -o $@ $< $(LIBS)

# The variants other than build/tests compile a test's own implementation with TORNADO_STATIC:
# every tn_ function static, so the compiler skips those the test never calls (an ASan build of
# test_loop: 16 s of CPU instead of 1.6). The code that runs is the same; build/tests, the
# shared objects, the examples and the compile matrix compile every function as users do.
TSTATIC := -DTORNADO_STATIC

build/tests-poll/%: tests/%.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(TOPT) $(TSTATIC) -DTORNADO_POLL_POLL -o $@ $< $(LIBS)

# the generic-POSIX paths (what macOS and the BSDs run: poll, pipe wakeup, accept + fcntl,
# no MSG_NOSIGNAL, no sendfile, no POLLRDHUP), run on Linux
build/tests-posix/%: tests/%.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(TOPT) $(TSTATIC) -DTORNADO_GENERIC_POSIX -o $@ $< $(LIBS)

build/asan/%: tests/%.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(TOPT) $(TSTATIC) $(SAN) -o $@ $< $(LIBS)

# The test programs that use only the public API in the default configuration link one
# implementation object per variant (build/VARIANT/tn_impl.o, tests/tn_impl.c compiled with that
# variant's flags) instead of compiling the implementation themselves: the test file is compiled
# with TORNADO_IMPLEMENTATION_INCLUDED, so its #include of the header declares only. Same flags,
# same implementation, same cases; 0.3 s of CPU to build such a test instead of 3.7 (ASan 9).
# A test that reaches private names (tn__*), defines configuration macros, or relies on the
# system headers the implementation includes compiles its own (the pattern rules above).
SHARED_TESTS := test_deflate test_embed test_http_client test_http_cookie test_http_gzip test_net test_tcp \
                test_http_parse test_http_util test_router test_web test_ws_server
# the -Os test programs (the parser's and the router's compact paths) share an -Os object
SHARED_SMALL := test_http_parse_small test_router_small
VFLAGS_tests       :=
VFLAGS_tests-poll  := -DTORNADO_POLL_POLL
VFLAGS_tests-posix := -DTORNADO_GENERIC_POSIX
VFLAGS_asan        := $(SAN)
TN_IMPL_DEPS := tests/tn_impl.c tornado.h
$(foreach v,tests tests-poll tests-posix asan,build/$(v)/tn_impl.o): build/%/tn_impl.o: $(TN_IMPL_DEPS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(TOPT) $(VFLAGS_$*) -c -o $@ $<
$(foreach v,tests tests-poll tests-posix asan,build/$(v)/tn_impl_small.o): build/%/tn_impl_small.o: $(TN_IMPL_DEPS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(TOPT) -Os $(VFLAGS_$*) -c -o $@ $<
define TN_SHARED_RULE
build/$(1)/$(2): tests/$(2).c build/$(1)/$(3) $$(DEPS)
	@mkdir -p $$(@D)
	$$(CC) $$(WARN) $$(TOPT) $$(VFLAGS_$(1)) -DTORNADO_IMPLEMENTATION_INCLUDED -o $$@ $$< build/$(1)/$(3) $$(LIBS)
endef
$(foreach v,tests tests-poll tests-posix asan,$(foreach t,$(SHARED_TESTS),$(eval $(call TN_SHARED_RULE,$(v),$(t),tn_impl.o))))
$(foreach v,tests tests-poll tests-posix asan,$(foreach t,$(SHARED_SMALL),$(eval $(call TN_SHARED_RULE,$(v),$(t),tn_impl_small.o))))

# Windows: cross-built with mingw-w64, run under wine by tests/run.py (the "win" variant).
# tests/win/ holds small POSIX shims for test code only (never for the header).
WINCC   ?= x86_64-w64-mingw32-gcc
WINCXX  ?= x86_64-w64-mingw32-g++
WINLIBS := -lws2_32 -lbcrypt
# The test code's server threads are pthreads: mingw's winpthreads, linked static (the header
# itself uses Win32 threads).
build/win/%.exe: tests/%.c $(DEPS) $(wildcard tests/win/*.h tests/win/*/*.h)
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(TOPT) -Itests/win -D_POSIX_THREAD_SAFE_FUNCTIONS -o $@ $< $(WINLIBS) -static -lpthread

build/win/tn_impl.o: $(TN_IMPL_DEPS) $(wildcard tests/win/*.h tests/win/*/*.h)
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(TOPT) -Itests/win -D_POSIX_THREAD_SAFE_FUNCTIONS -c -o $@ $<
build/win/tn_impl_small.o: $(TN_IMPL_DEPS) $(wildcard tests/win/*.h tests/win/*/*.h)
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(TOPT) -Os -Itests/win -D_POSIX_THREAD_SAFE_FUNCTIONS -c -o $@ $<
$(foreach t,$(SHARED_TESTS),build/win/$(t).exe): build/win/%.exe: tests/%.c build/win/tn_impl.o $(DEPS) $(wildcard tests/win/*.h tests/win/*/*.h)
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(TOPT) -Itests/win -D_POSIX_THREAD_SAFE_FUNCTIONS -DTORNADO_IMPLEMENTATION_INCLUDED -o $@ $< build/win/tn_impl.o $(WINLIBS) -static -lpthread
$(foreach t,$(SHARED_SMALL),build/win/$(t).exe): build/win/%.exe: tests/%.c build/win/tn_impl_small.o $(DEPS) $(wildcard tests/win/*.h tests/win/*/*.h)
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(TOPT) -Itests/win -D_POSIX_THREAD_SAFE_FUNCTIONS -DTORNADO_IMPLEMENTATION_INCLUDED -o $@ $< build/win/tn_impl_small.o $(WINLIBS) -static -lpthread

# no zlib for mingw: test_deflate's zlib oracle compiles out and leaves its variables unused
build/win/test_deflate.exe: private WARN += -Wno-unused-variable

# (examples/timers.c uses pthreads itself: mingw's winpthreads, linked static; the header needs none)
# EXAMPLES_SHARED=1: one implementation object for all of them, as for the Linux examples below
build/win/examples/tn_impl.o: tests/tn_impl.c tornado.h
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(OPT) -c -o $@ $<
ifeq ($(EXAMPLES_SHARED),1)
build/win/examples/%.exe: examples/%.c build/win/examples/tn_impl.o tornado.h examples/tls_flags.h
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(OPT) -DTORNADO_IMPLEMENTATION_INCLUDED -o $@ $< build/win/examples/tn_impl.o $(WINLIBS) -static -lpthread
else
build/win/examples/%.exe: examples/%.c tornado.h examples/tls_flags.h
	@mkdir -p $(@D)
	$(WINCC) $(WARN) $(OPT) -o $@ $< $(WINLIBS) -static -lpthread
endif

# throwaway programs the runner's self-test judges (tests/run.py --selftest)
build/runner_selftest/%: tests/runner_selftest/%.c tests/tn_test.h
	@mkdir -p $(@D)
	$(CC) $(WARN) -O0 -o $@ $<

# zlib is the oracle of test_deflate and zlib + libdeflate are bench_deflate's peers: linked
# there only, never needed by the header. Without the packages (zlib1g-dev, libdeflate-dev)
# the programs still build: their sources check with __has_include and skip.
TN_HAVE_LIB = $(shell echo 'int main(void){return 0;}' | $(CC) -x c - -o /dev/null $(1) 2>/dev/null && echo $(1))
build/tests/test_deflate build/tests-poll/test_deflate build/tests-posix/test_deflate build/asan/test_deflate: LIBS += $(call TN_HAVE_LIB,-lz)
build/tests/test_http_gzip build/tests-poll/test_http_gzip build/tests-posix/test_http_gzip build/asan/test_http_gzip: LIBS += $(call TN_HAVE_LIB,-lz)
build/bench/bench_deflate: LIBS += $(call TN_HAVE_LIB,-lz) $(call TN_HAVE_LIB,-ldeflate)
# OpenSSL's libcrypto is bench_crypto's peer (hashing throughput), linked there only
build/bench/bench_crypto: LIBS += $(if $(call TN_HAVE_LIB,-lcrypto),-lcrypto -DTN_BENCH_OPENSSL)
# TLS: test_tls builds the header with TORNADO_WITH_OPENSSL (libssl-dev), so it links OpenSSL
build/tests/test_tls build/tests-poll/test_tls build/tests-posix/test_tls build/asan/test_tls: LIBS += -lssl -lcrypto
# test_tls_limits: the tiny-limits build for TLS (test_limits is built without OpenSSL)
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_tls_limits): LIBS += -lssl -lcrypto

# the _nosimd variants include their base file: rebuild them when it changes
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_parse_nosimd): tests/test_http_parse.c
# the parser's SSE4.2 and AVX2 scanners are chosen at compile time: their test builds ask for them
X86 := $(filter x86_64 i%86,$(shell $(CC) -dumpmachine | cut -d- -f1))
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_parse_sse42): tests/test_http_parse.c
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_parse_sse42): TOPT += $(if $(X86),-msse4.2)
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_parse_avx2): tests/test_http_parse.c
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_parse_avx2): TOPT += $(if $(X86),-mavx2)
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_ws_nosimd): tests/test_ws.c
# the parser's compact paths are chosen by size optimization (__OPTIMIZE_SIZE__): -Os proves them
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_parse_small): tests/test_http_parse.c
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_parse_small): TOPT += -Os
build/win/test_http_parse_sse42.exe build/win/test_http_parse_avx2.exe build/win/test_http_parse_small.exe: tests/test_http_parse.c
build/win/test_http_parse_small.exe: TOPT += -Os
# the HTTP server's compact shapes (size-optimized builds): -Os proves them
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_server_small): tests/test_http_server.c
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_http_server_small): TOPT += -Os
build/win/test_http_server_small.exe: tests/test_http_server.c
build/win/test_http_server_small.exe: TOPT += -Os
# the router without its trie (size-optimized builds): -Os proves it
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_router_small): tests/test_router.c
$(foreach d,tests tests-poll tests-posix asan,build/$(d)/test_router_small): TOPT += -Os
build/win/test_router_small.exe: tests/test_router.c
build/win/test_router_small.exe: TOPT += -Os
build/win/test_http_parse_sse42.exe: TOPT += -msse4.2
build/win/test_http_parse_avx2.exe: TOPT += -mavx2
build/bench/bench_ws_nosimd: bench/bench_ws.c
# the parser bench: Debian's libhttp-parser-dev as an in-run peer when it links; the -msse4.2
# and -mavx2 builds of it (x86)
HTTP_PARSER_LIB := $(call TN_HAVE_LIB,-lhttp_parser)
build/bench/bench_parse build/bench/bench_parse_sse42 build/bench/bench_parse_avx2: LIBS += $(if $(HTTP_PARSER_LIB),-lhttp_parser -DTN_BENCH_HTTP_PARSER)
build/bench/bench_parse_sse42 build/bench/bench_parse_avx2: bench/bench_parse.c tornado.h
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -DNDEBUG $(if $(findstring avx2,$@),-mavx2,-msse4.2) -o $@ $< $(LIBS)

# examples are built with TLS (TORNADO_WITH_OPENSSL: --cert/--key, --cacert, https and wss)
# when OpenSSL links (libssl-dev); make EXAMPLE_TLS= builds them without
EXAMPLE_TLS ?= $(call TN_HAVE_LIB,-lssl -lcrypto)
# EXAMPLES_SHARED=1 (make test: tests/run.py) links every example with one implementation object,
# build/examples/tn_impl.o (tests/tn_impl.c, same flags), its own file compiled with
# TORNADO_IMPLEMENTATION_INCLUDED: the eleven examples compiled the same implementation eleven
# times (11 s of CPU each). Without it (make, make demo) each example builds as one file, as an
# application would. (tests/run.py builds tn_impl.o before the examples that link it.)
build/examples/tn_impl.o: tests/tn_impl.c tornado.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(OPT) $(if $(EXAMPLE_TLS),-DTORNADO_WITH_OPENSSL) -c -o $@ $<
ifeq ($(EXAMPLES_SHARED),1)
build/examples/%: examples/%.c build/examples/tn_impl.o tornado.h examples/tls_flags.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(OPT) $(if $(EXAMPLE_TLS),-DTORNADO_WITH_OPENSSL) -DTORNADO_IMPLEMENTATION_INCLUDED -o $@ $< build/examples/tn_impl.o $(LIBS) $(EXAMPLE_TLS)
else
build/examples/%: examples/%.c tornado.h examples/tls_flags.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(OPT) $(if $(EXAMPLE_TLS),-DTORNADO_WITH_OPENSSL) -o $@ $< $(LIBS) $(EXAMPLE_TLS)
endif

# the demo carries its web files: examples/demo_assets.h is generated and committed
# (make test checks it is up to date)
build/examples/demo: examples/demo_assets.h

demo-assets:
	$(PY) tools/embed_assets.py examples/demo_assets --name demo_assets --no-mtime --gzip > examples/demo_assets.h.tmp
	mv examples/demo_assets.h.tmp examples/demo_assets.h

build/bench/%: bench/%.c tornado.h
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -DNDEBUG -o $@ $< $(LIBS)

# Firmware (TORNADO_PLATFORM_LWIP, README "Firmware"): the example for a Cortex-M4 against
# lwIP's socket API (gcc-arm-none-eabi, libnewlib-arm-none-eabi, liblwip-dev's headers),
# linked with tests/firmware/link_stub.c in place of an ARM lwIP and a board (Debian has
# neither). make test builds it too (tests/run.py: firmware.cortex-m4).
ARMCC    ?= arm-none-eabi-gcc
LWIP_INC ?= /usr/include/lwip
FW_FLAGS := -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections $(WARN) \
            -DTORNADO_PLATFORM_LWIP -DTORNADO_READ_CHUNK_SIZE=2048 -Itests/firmware -isystem $(LWIP_INC) \
            --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections -Wl,--fatal-warnings
firmware: build/firmware/firmware.elf
build/firmware/firmware.elf: examples/firmware/firmware.c tests/firmware/link_stub.c tornado.h $(wildcard tests/firmware/*.h tests/firmware/arch/*.h)
	@mkdir -p $(@D)
	$(ARMCC) $(FW_FLAGS) -o $@ examples/firmware/firmware.c tests/firmware/link_stub.c
	arm-none-eabi-size $@

# TESTFLAGS: tests/run.py's options (--times: the slowest jobs and the CPU per group at the end)
TESTFLAGS ?= --times
test:
	$(PY) tests/run.py $(TESTFLAGS)

# make demo DEMO_ARGS="--cert cert.pem --key key.pem" serves https (and wss for the chat)
demo: build/examples/demo
	./build/examples/demo --port 8888 $(DEMO_ARGS)

# the examples it measures are built again as one file each, as an application builds them
# (make test may have linked them with a shared implementation object: EXAMPLES_SHARED)
BENCH_EXAMPLES := echo_server hello ws_echo file_server
bench: $(addprefix build/bench/,$(BENCHES)) $(if $(X86),build/bench/bench_parse_sse42 build/bench/bench_parse_avx2)
	$(MAKE) -B EXAMPLES_SHARED= $(addprefix build/examples/,$(BENCH_EXAMPLES))
	$(PY) bench/run.py

size:
	$(PY) tools/size.py

fuzz:
	$(PY) tests/fuzz/run.py --seconds $(SECONDS)

clean:
	rm -rf build
