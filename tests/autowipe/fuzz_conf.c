// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer entry for the auto-wipe allow-list parser: any bytes, no crash, no leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "autowipe_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw_conf c;
	struct aw_device d = { "pci-0000:00:14.0-usb-0:1:1.0", "0001", "1a86", "7523" };
	char err[256];

	if (aw_conf_parse((const char *)data, size, "fuzz", &c, err, sizeof(err)) == 0) {
		const struct aw_rule *r = aw_conf_match(&c, &d);

		if (r) {
			char buf[160];

			aw_rule_format(r, buf, sizeof(buf));
			if (!memchr(buf, '\0', sizeof(buf)))
				abort();
		}
		aw_conf_free(&c);
	} else if (c.n || c.rules || strncmp(err, "fuzz:", 5) != 0) {
		abort();
	}
	return 0;
}
