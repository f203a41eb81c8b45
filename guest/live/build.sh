#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the hvtest live image: a Debian 12 live system (debootstrap, X,
# Calamares with Debian's settings) whose installer starts full-screen at boot.
# Usage: build.sh OUTDIR [--force]        See docs/INSTALL-LIVE.md.
set -eu

prog=live/build.sh
usage="usage: $prog OUTDIR [--force]"
die() {
	echo "$prog: $*" >&2
	exit 1
}
log() {
	echo "$prog: $(date -u +%H:%M:%S) $*" >&2
}

out=
force=0
for arg in "$@"; do
	case "$arg" in
	--force) force=1 ;;
	-h|--help) echo "$usage"; exit 0 ;;
	-*) die "unknown option $arg ($usage)" ;;
	*) [ -z "$out" ] || die "$usage"
	   out=$arg ;;
	esac
done
[ -n "$out" ] || die "$usage"
while [ "$out" != "${out%/}" ]; do
	out=${out%/}
done
[ -n "$out" ] || die "OUTDIR must not be /"

src=$(cd "$(dirname "$0")" && pwd -P)
export LC_ALL=C
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
suite=${HVT_LIVE_SUITE:-bookworm}
mirror=${HVT_LIVE_MIRROR:-http://deb.debian.org/debian}
# zstd: see "Squashfs compressor" in docs/INSTALL-LIVE.md
comp=${HVT_LIVE_COMP:-zstd}

# Everything the result depends on, as one hash: the recipe (this
# directory), the suite, mirror and compressor. The archive's packages are
# not in it: the image is as new as its last build (--force rebuilds).
inputs() {
	echo "suite=$suite mirror=$mirror comp=$comp"
	cd "$src"
	# cmdline is not in the image: it is written out at every call (below)
	find . -path ./cmdline -prune -o -type f -printf '%m %p\n' | sort
	find . -path ./cmdline -prune -o -type f -print0 | sort -z |
		xargs -0 sha256sum
}
hash=$(inputs | sha256sum | cut -d' ' -f1)

up_to_date() {
	[ -f "$out/stamp" ] && [ -f "$out/manifest" ] || return 1
	for f in vmlinuz initrd.img live.iso cmdline; do
		[ -f "$out/$f" ] || return 1
	done
	[ "$(cat "$out/stamp")" = "$hash" ]
}
# write_cmdline DIR: the kernel command line, one line, from the recipe
write_cmdline() {
	grep -v '^#' "$src/cmdline" | tr '\n' ' ' |
		sed 's/  */ /g; s/^ //; s/ $//' > "$1/cmdline.new"
	echo >> "$1/cmdline.new"
	mv "$1/cmdline.new" "$1/cmdline"
}
if [ $force = 0 ] && up_to_date; then
	cmp -s "$out/cmdline" /dev/stdin << EOS ||
$(grep -v '^#' "$src/cmdline" | tr '\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//')
EOS
		write_cmdline "$out"
	echo "live image up to date ($out)"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and chroot)"
for t in debootstrap:debootstrap mksquashfs:squashfs-tools \
	 xorriso:xorriso flock:util-linux chroot:coreutils; do
	command -v "${t%%:*}" > /dev/null ||
		die "${t%%:*} not found: install the Debian package ${t#*:}" \
			"(apt-get install ${t#*:})"
done

# One build at a time per OUTDIR; a second one waits, then finds it done.
mkdir -p "$(dirname "$out")"
exec 9> "$out.lock"
flock 9
if [ $force = 0 ] && up_to_date; then
	echo "live image up to date ($out)"
	exit 0
fi
for d in "$out".tmp.*; do
	if [ -d "$d/root/proc" ]; then umount -R "$d/root/proc" 2> /dev/null || true; fi
	for m in dev/pts dev sys var/cache/apt/archives; do
		umount "$d/root/$m" 2> /dev/null || true
	done
done
rm -rf --one-file-system "$out".tmp.* "$out".old.*
tmp=$out.tmp.$$
root=$tmp/root
# Downloaded packages are kept between builds, next to the image.
debs=$out.debs
mounted=""
cleanup() {
	for m in $mounted; do
		umount -l "$root/$m" 2> /dev/null || true
	done
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$tmp" "$debs"
# Packages the host's apt already downloaded are not fetched again (when
# they are the same version; the names say it).
cp -ln /var/cache/apt/archives/*.deb "$debs/" 2> /dev/null || true
t0=$(date +%s)
log "building the live image ($suite from $mirror) in $out"

debootstrap --variant=minbase --cache-dir="$debs" "$suite" "$root" \
	"$mirror" > "$tmp/debootstrap.log" 2>&1 ||
	die "debootstrap failed: see the end of $tmp/debootstrap.log:" \
		"$(tail -n 5 "$tmp/debootstrap.log")"
log "debootstrap done ($(( $(date +%s) - t0 )) s)"

for m in proc sys dev dev/pts var/cache/apt/archives; do
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sys "$root/sys" ;;
	dev) mount --bind /dev "$root/dev" ;;
	dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
	var/cache/apt/archives) mount --bind "$debs" "$root/$m" ;;
	esac
	mounted="$m $mounted"
done
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
in_root() {
	chroot "$root" env DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
# The release with its updates and security fixes, as a Debian install has.
cat > "$root/etc/apt/sources.list" << EOS
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOS
in_root apt-get update > "$tmp/apt.log" 2>&1 ||
	die "apt-get update failed: $(tail -n 5 "$tmp/apt.log")"
in_root apt-get dist-upgrade -y >> "$tmp/apt.log" 2>&1 ||
	die "apt-get dist-upgrade failed: $(tail -n 5 "$tmp/apt.log")"
in_root apt-get install -y --no-install-recommends \
	$(grep -v '^#' "$src/packages") >> "$tmp/apt.log" 2>&1 ||
	die "apt-get install failed: $(tail -n 5 "$tmp/apt.log")"
log "packages installed ($(( $(date +%s) - t0 )) s)"

# Our files, then what differs from the packages' defaults.
cp -R "$src/rootfs/." "$root/"
ln -sf /etc/systemd/system/hvt-live-installer.service \
	"$root/etc/systemd/system/multi-user.target.wants/hvt-live-installer.service"
echo "127.0.1.1 debian-live" >> "$root/etc/hosts"
# An empty root password for the live system (the installed one gets the
# user Calamares creates); a root shell on the serial console.
in_root passwd -d root > /dev/null
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$root/etc/locale.gen"
in_root locale-gen > /dev/null
# No display manager is installed: the installed system logs in on the
# console, so Calamares' displaymanager job (which wants one) is left out.
sed -i '/^ *- displaymanager$/d' "$root/etc/calamares/settings.conf"
# Debian's packages job removes the live packages from the installed
# system, a list made for Debian's own live images: most (live-config,
# live-tools, live-task-*) are not in this one, and apt-get then fails the
# whole install ("Package Manager error", code 100). Calamares'
# try_remove would take them one by one, one apt-get run each (about a
# minute apiece under TCG), so the list is cut to the packages this image
# holds and removed in one run.
conf="$root/etc/calamares/modules/packages.conf"
listed=$(sed -n "s/^ *- '\([a-z0-9.+-]*\)'$/\1/p" "$conf" | sort -u)
[ -n "$listed" ] || die "calamares' packages.conf lists no package to remove"
present=""
for p in $listed; do
	chroot "$root" dpkg-query -W -f '${Status}' "$p" 2> /dev/null |
		grep -q ' installed$' && present="$present $p"
done
[ -n "$present" ] || die "none of the live packages ($listed) is in the image"
{
	echo "backend: apt"
	echo "operations:"
	echo "  - remove:"
	for p in $present; do
		echo "      - '$p'"
	done
} > "$conf"
# The installed system has its console on ttyS0 too, and eth0.
sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8 net.ifnames=0"/' \
	"$root/etc/default/grub"
rm -f "$root/usr/sbin/policy-rc.d"
in_root update-initramfs -u -k all > "$tmp/initramfs.log" 2>&1 ||
	die "update-initramfs failed: $(tail -n 5 "$tmp/initramfs.log")"

kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
cp "$root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$tmp/initrd.img"
for m in $mounted; do
	umount "$root/$m"
done
mounted=""
in_root_version() {
	chroot "$root" dpkg-query -W -f '${Version}' "$1" 2> /dev/null ||
		echo unknown
}
versions="calamares=$(in_root_version calamares)
calamares_settings_debian=$(in_root_version calamares-settings-debian)
linux_image=$kver
live_boot=$(in_root_version live-boot)"
rm -rf "$root/var/lib/apt/lists/"* "$root/tmp/"*
: > "$root/etc/machine-id"

# The medium: /live/filesystem.squashfs, where live-boot and Calamares'
# unpackfs look, and an empty package archive for Debian's sources-media
# job (it adds the medium as an apt source and runs apt-get update).
medium=$tmp/medium
mkdir -p "$medium/live" "$medium/dists/$suite/main/binary-amd64"
log "mksquashfs -comp $comp"
mksquashfs "$root" "$medium/live/filesystem.squashfs" -noappend -comp "$comp" \
	-quiet > /dev/null
: > "$medium/dists/$suite/main/binary-amd64/Packages"
{
	echo "Origin: hvtest"
	echo "Suite: $suite"
	echo "Codename: $suite"
	echo "Components: main"
	echo "Architectures: amd64"
	echo "Date: $(date -u -R)"
	echo "SHA256:"
	(cd "$medium/dists/$suite" &&
		printf ' %s %s %s\n' "$(sha256sum main/binary-amd64/Packages | cut -d' ' -f1)" \
			0 main/binary-amd64/Packages)
} > "$medium/dists/$suite/Release"
xorriso -as mkisofs -quiet -R -J -V HVT_LIVE -o "$tmp/live.iso" "$medium" \
	> "$tmp/xorriso.log" 2>&1 ||
	die "xorriso failed: $(tail -n 5 "$tmp/xorriso.log")"
rm -rf --one-file-system "$root" "$medium"

write_cmdline "$tmp"
cat > "$tmp/manifest" << EOS
suite=$suite
comp=$comp
$versions
iso_bytes=$(stat -c %s "$tmp/live.iso")
build_seconds=$(( $(date +%s) - t0 ))
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
inputs_hash=$hash
EOS
echo "$hash" > "$tmp/stamp"
rm -f "$tmp"/*.log

# Swap the new image in: OUTDIR is always either the old or the new one.
if [ -e "$out" ]; then
	mv "$out" "$out.old.$$"
fi
mv "$tmp" "$out"
rm -rf "$out.old.$$"
trap - EXIT
log "live image built in $out ($(( $(date +%s) - t0 )) s)"
