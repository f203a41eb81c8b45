#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The HTTP proxy the installer is given (install.c, PROXY_ADDR): QEMU's user
# network runs this once per connection the guest opens to the proxy's
# address (guestfwd ... cmd:), with the connection on stdin and stdout.
# It connects to the archive HOST (port 80) by the host's own name service,
# which the guest's DNS does not share, and relays both ways.
#
# The first request line is passed on with repeated slashes in its path
# made one: the installer's architecture check asks for
# "/debian//dists/...", which Debian's mirrors answer and the archive this
# machine reaches refuses (400). The installer's wget sends one request per
# connection. Bash's /dev/tcp is the only network tool it needs.
#
# usage: di-relay.sh HOST
set -u
host=${1:?usage: di-relay.sh HOST}
exec 2>/dev/null
exec 3<>"/dev/tcp/$host/80" || exit 1

# "GET http://host/path HTTP/1.1\r"
IFS= read -r line || exit 0
method=${line%% *}
rest=${line#* }
url=${rest%% *}
version=${rest#* }
if [[ $url == *://* ]]; then
	scheme=${url%%://*}
	path=${url#*://}
else
	scheme=
	path=$url
fi
while [[ $path == *//* ]]; do
	path=${path//\/\//\/}
done
printf '%s %s%s %s\n' "$method" "${scheme:+$scheme://}" "$path" "$version" >&3

cat <&3 &
cat >&3
wait
