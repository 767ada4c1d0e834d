# Scalar engine benchmark (issue: 10,000 steps of a 2-2-2 net well under 0.1 s).
.PHONY: bench-scalar
bench-scalar: all
	@bash scripts/bench-scalar.sh $(BUILD)/nntrace
