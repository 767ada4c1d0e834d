# Scalar engine benchmarks (scripts/bench-scalar.sh): the 2-2-2 network's 10,000 steps, untraced steps against plain C.
.PHONY: bench-scalar
bench-scalar: all
	@bash scripts/bench-scalar.sh $(BUILD)/nntrace
