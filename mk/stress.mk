# Random valid lessons through every command (tests/stress/): lessongen.py
# draws seeded lessons that use every lesson key, stress.py runs each command
# on them and checks exit statuses, sanitizer reports, output files and the
# cross-view invariants (see its header).
#
#   make stress N=500 [FIRST=1]   N seeds on the sanitizer build (build/asan);
#                                 failing seeds' files kept in build/stress/
#
# `make test-asan` (CI) runs STRESS_SEEDS of them on its own build; every
# `make test` checks that each key of `nntrace keys` has a writer.
N            ?= 200
FIRST        ?= 1
STRESS_SEEDS ?= 12
STRESS_SAN   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: stress stress-check
stress: deps
	@$(MAKE) --no-print-directory build/asan/nntrace BUILD=build/asan OPT="-O1 -g" SAN="$(STRESS_SAN)"
	python3 tests/stress/stress.py --bin build/asan/nntrace --seeds $(N) --first $(FIRST) --keep build/stress

check: stress-check
stress-check: $(BUILD)/nntrace
	@python3 tests/stress/stress.py --bin $(BUILD)/nntrace \
	  $(if $(SAN),--seeds $(STRESS_SEEDS) --viewers 1 --keep $(BUILD)/stress,--keys-only)
