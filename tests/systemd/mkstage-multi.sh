#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The stage of the multi-board boot: mkstage.sh's (same arguments), plus the
# multi-board driver and its target:
#
#   mkstage-multi.sh STAGE ESPWIPE ESPWIPE.KO ESPBRIDGE [KVER MODDIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/mkstage.sh" "$@"
stage=$1
install -m 0755 "$here/guest/multi.py" "$stage/usr/local/lib/espsd/multi.py"
install -m 0644 "$here/guest/espsd-multi.target" "$here/guest/espsd-multi.service" \
	"$stage/etc/systemd/system/"
