// SPDX-License-Identifier: GPL-2.0-or-later
/* MD5 of erased flash with libmd (Debian libmd-dev, <md5.h>). */
#include "blank_md5.h"

#include <md5.h>
#include <string.h>

void blank_md5(uint32_t len, uint8_t out[16])
{
	uint8_t ff[4096];
	MD5_CTX ctx;

	memset(ff, 0xFF, sizeof(ff));
	MD5Init(&ctx);
	while (len > 0) {
		uint32_t n = len < sizeof(ff) ? len : (uint32_t)sizeof(ff);

		MD5Update(&ctx, ff, n);
		len -= n;
	}
	MD5Final(out, &ctx);
}
