# SPDX-License-Identifier: GPL-2.0-or-later
# Integration tests: the ASan build of espwipe against the ASan build of espemu.
CHECK_TARGETS += check-integration

.PHONY: check-integration
check-integration: $(ASAN)/espwipe $(ASAN)/espemu $(BUILD)/libespemu-lines.so
	/usr/bin/python3 tests/integration/test_espwipe.py
	/usr/bin/python3 tests/integration/test_esp32.py
	/usr/bin/python3 tests/integration/test_links.py
	/usr/bin/python3 tests/integration/test_multi.py
	/usr/bin/python3 tests/integration/test_table_tmux.py
