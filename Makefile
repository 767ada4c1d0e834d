# nntrace build. `make run` and `make test` install what they need first
# (scripts/deps.sh), then re-enter make with the packages in place, so the
# pkg-config calls below never run before their packages exist.

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
OPENMP  ?= -fopenmp
# The fast path (src/fast) is compiled for this machine unless PORTABLE=1.
FASTOPT ?= $(if $(PORTABLE),-O3,-O3 -march=native)

PKGS    := cmocka xlsxwriter zlib
CFLAGS  := -std=c11 -Wall -Wextra -Wpedantic -D_POSIX_C_SOURCE=200809L \
           $(OPT) $(SAN) $(OPENMP) $(shell pkg-config --cflags xlsxwriter zlib 2>/dev/null) $(EXTRA_CFLAGS)
LDLIBS  := $(shell pkg-config --libs xlsxwriter zlib 2>/dev/null) -lm
TESTLIB := $(shell pkg-config --libs cmocka 2>/dev/null)
LDFLAGS := $(SAN) $(OPENMP)

SRC     := $(wildcard src/*.c src/base/*.c src/fast/*.c)
OBJ     := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
LIBOBJ  := $(filter-out $(BUILD)/obj/main.o,$(OBJ))
TESTS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
LESSON  ?= lessons/sauppe-forward.lesson

.PHONY: all deps run test check test-asan test-valgrind valgrind-check golden clean
all: $(BUILD)/nntrace

deps:
	@sh scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/nntrace run $(LESSON)

test: deps
	@$(MAKE) --no-print-directory check

# Build every test binary, run each from the top directory, fail if any fails.
check: $(BUILD)/nntrace $(TESTS)
	@fail=0; for t in $(TESTS); do \
	  echo "== $$t"; NNTRACE_BIN=$(BUILD)/nntrace $$t || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "make test: FAILED"; exit 1; fi; \
	echo "make test: all test binaries passed"

# (the LaTeX compiles of test_tex do not depend on the build: a quarter of the lessons here)
test-asan: deps
	@NNTRACE_TEX_SUBSET=4 $(MAKE) --no-print-directory check BUILD=build/asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# Every test binary under valgrind memcheck (errors and definite leaks fail).
# Valgrind 3.19 does not decode AVX-512, so this build is PORTABLE.
test-valgrind: deps
	@$(MAKE) --no-print-directory valgrind-check BUILD=build/valgrind PORTABLE=1

valgrind-check: $(BUILD)/nntrace $(TESTS)
	@fail=0; for t in $(TESTS); do \
	  echo "== valgrind $$t"; \
	  NNTRACE_BIN=$(BUILD)/nntrace valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite $$t >$(BUILD)/$$(basename $$t).vg.log 2>&1 \
	    || { tail -30 $(BUILD)/$$(basename $$t).vg.log; fail=1; }; \
	done; [ $$fail -eq 0 ] && echo "valgrind: clean"

golden: $(BUILD)/nntrace
	@for l in lessons/*.lesson; do \
	  b=$$(basename $$l .lesson); \
	  NO_COLOR=1 $(BUILD)/nntrace run --golden -o traces/$$b.txt $$l; \
	  echo "wrote traces/$$b.txt"; \
	done

$(BUILD)/nntrace: $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/fast/%.o: src/fast/%.c $(wildcard src/*.h src/base/*.h src/fast/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FASTOPT) -c -o $@ $<

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h src/base/*.h src/fast/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIBOBJ) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIBOBJ) $(LDFLAGS) $(TESTLIB) $(LDLIBS)

# Allocation-failure injection: nntrace's own malloc/calloc/realloc calls
# are routed through the test's wrappers.
$(BUILD)/tests/test_oom: LDFLAGS += -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

clean:
	rm -rf build

# Other modules add their targets (data, bench, fuzz, ...) in their own file.
-include $(wildcard mk/*.mk)
