# Fuzzing with libFuzzer (clang, Debian's libclang-rt-14-dev).
#   make fuzz FUZZ_SECONDS=60     runs every tests/fuzz/fuzz_*.c harness in turn
# Each harness NAME has its seed corpus in tests/fuzz/NAME/ (committed) and
# grows a working corpus in build/fuzz/NAME-corpus/ (not committed). A crash
# leaves build/fuzz/crash-* and fails the target; turn it into a regression
# test before fixing it.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -std=c11 -g -O1 -fopenmp -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -D_POSIX_C_SOURCE=200809L -Isrc -Isrc/fast $(shell pkg-config --cflags xlsxwriter zlib 2>/dev/null)
FUZZ_SRC     := $(filter-out src/main.c,$(wildcard src/*.c src/base/*.c src/fast/*.c))
FUZZERS      := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: fuzz fuzz-build
fuzz-build: deps
	@$(MAKE) --no-print-directory $(FUZZERS)

build/fuzz/%: tests/fuzz/%.c $(FUZZ_SRC) $(wildcard src/*.h src/base/*.h src/fast/*.h)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC) $(shell pkg-config --libs xlsxwriter zlib 2>/dev/null) -lm

fuzz: fuzz-build
	@set -e; for f in $(FUZZERS); do \
	  n=$$(basename $$f); c=build/fuzz/$$n-corpus; mkdir -p $$c; \
	  echo "== $$n for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	      -artifact_prefix=build/fuzz/ -print_final_stats=1 $$c tests/fuzz/$${n#fuzz_} 2>build/fuzz/$$n.log \
	    || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build/fuzz/$$n.log; \
	done

# Every test run compiles the harnesses (without libFuzzer, so with any
# compiler), so a change of the functions they call cannot leave them behind.
.PHONY: fuzz-syntax
check: fuzz-syntax
fuzz-syntax:
	@for f in tests/fuzz/fuzz_*.c; do \
	  $(CC) $(CFLAGS) -Isrc -Isrc/fast -fsyntax-only $$f || { echo "$$f does not compile"; exit 1; }; \
	done
