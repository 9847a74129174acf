#!/bin/sh
# meson install: puts the starter configuration in place as edged.conf
# only where there is none.  An operator's edged.conf is never written
# over: the starter then goes beside it as edged.conf.starter.
#     install-conf.sh STARTER DIR      (DIR absolute; DESTDIR honoured)
set -eu
src=$1
dir=${DESTDIR:-}$2
install -d -m 755 "$dir"
if [ -e "$dir/edged.conf" ]; then
	install -m 644 "$src" "$dir/edged.conf.starter"
	echo "edged: kept $dir/edged.conf; the starter configuration is" \
	    "$dir/edged.conf.starter"
else
	install -m 644 "$src" "$dir/edged.conf"
fi
