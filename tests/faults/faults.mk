# SPDX-License-Identifier: GPL-2.0-or-later
# tests/faults: the fault matrix (espwipe against espemu with injected faults).
#   make check-faults    run it; fails if any row fails
#   make fault-matrix    the same, writing the table to build/fault-matrix.md
CHECK_TARGETS += check-faults

FAULTS_DEPS := $(ASAN)/espwipe $(ASAN)/espemu $(BUILD)/libespemu-lines.so

.PHONY: check-faults fault-matrix
check-faults: $(FAULTS_DEPS)
	/usr/bin/python3 tests/faults/fault_matrix.py

fault-matrix: $(FAULTS_DEPS)
	@mkdir -p $(BUILD)
	/usr/bin/python3 tests/faults/fault_matrix.py --out $(BUILD)/fault-matrix.md
