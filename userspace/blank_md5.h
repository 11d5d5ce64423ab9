/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MD5 of erased flash (all 0xFF), to compare with the ROM's SPI_FLASH_MD5. */
#ifndef ESPWIPE_BLANK_MD5_H
#define ESPWIPE_BLANK_MD5_H

#include <stdint.h>

/* MD5 of len bytes of 0xFF (libmd). */
void blank_md5(uint32_t len, uint8_t out[16]);

#endif /* ESPWIPE_BLANK_MD5_H */
