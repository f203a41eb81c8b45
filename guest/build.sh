#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the hvtest default guest (kernel, busybox initramfs with
# qemu-guest-agent, tools disk with fio) from installed Debian packages.
# Usage: build.sh OUTDIR [--force]        See docs/GUEST.md.
set -eu

prog=build.sh
usage="usage: $prog OUTDIR [--force]"
die() {
	echo "$prog: $*" >&2
	exit 1
}
log() {
	echo "$prog: $*" >&2
}
# need FILE PACKAGE: FILE comes from the Debian package PACKAGE
need() {
	[ -e "$1" ] || die "$1 not found: install the Debian package $2" \
		"(apt-get install $2)"
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

# The kernel: $HVT_GUEST_KVER, else the newest one that has its modules.
kver=${HVT_GUEST_KVER:-}
if [ -z "$kver" ]; then
	kver=$(for k in /boot/vmlinuz-*; do
		k=${k#/boot/vmlinuz-}
		[ -e "/lib/modules/$k/modules.dep" ] && echo "$k"
	done | sort -V | tail -n 1)
fi
[ -n "$kver" ] || die "no kernel with modules in /boot and /lib/modules:" \
	"install the Debian package linux-image-amd64" \
	"(apt-get install linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
need "$kernel" "linux-image-$kver"
need "$moddir/modules.dep" "linux-image-$kver"

# Everything the result depends on, as one hash.
inputs() {
	echo "kver=$kver"
	dpkg-query -W 'linux-image-*' busybox-static qemu-guest-agent fio \
		libc6 2> /dev/null || true
	cd "$src"
	# live/ is the live image's recipe (live/build.sh), not this guest's
	find . -path ./live -prune -o -type f -printf '%m %p\n' | sort
	find . -path ./live -prune -o -type f -print0 | sort -z | xargs -0 sha256sum
}
hash=$(inputs | sha256sum | cut -d' ' -f1)

# up_to_date: OUTDIR holds a complete guest built from these inputs.
up_to_date() {
	[ -f "$out/stamp" ] && [ -f "$out/manifest" ] || return 1
	k=$(sed -n 's/^kernel=//p' "$out/manifest")
	for f in vmlinuz initrd.img tools.img cmdline "${k:-vmlinuz}"; do
		[ -f "$out/$f" ] || return 1
	done
	[ "$(cat "$out/stamp")" = "$hash" ]
}
if [ $force = 0 ] && up_to_date; then
	echo "guest up to date ($out)"
	exit 0
fi

# Check every input before doing anything.
need /bin/busybox busybox-static
need /usr/sbin/qemu-ga qemu-guest-agent
need /usr/bin/fio fio
for t in cpio:cpio mksquashfs:squashfs-tools depmod:kmod ldd:libc-bin \
	 xz:xz-utils flock:util-linux od:coreutils; do
	command -v "${t%%:*}" > /dev/null ||
		die "${t%%:*} not found: install the Debian package ${t#*:}" \
			"(apt-get install ${t#*:})"
done
/bin/busybox --list-full > /dev/null 2>&1 ||
	die "/bin/busybox is not the full busybox: install the Debian" \
		"package busybox-static (apt-get install busybox-static)"

# One build at a time per OUTDIR; a second one waits, then finds it done.
mkdir -p "$(dirname "$out")"
exec 9> "$out.lock"
flock 9
if [ $force = 0 ] && up_to_date; then
	echo "guest up to date ($out)"
	exit 0
fi
rm -rf "$out".tmp.* "$out".old.*
tmp=$out.tmp.$$
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$tmp"
log "building the guest for kernel $kver in $out"

# libs FILE: the shared libraries and the loader that FILE needs
libs() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
			$1 ~ /^\// { print $1 }'
}

# The initramfs: busybox and its applets, our files, qemu-ga, modules.
root=$tmp/root
for d in bin sbin usr/bin usr/sbin lib lib64 etc proc sys dev tmp run var \
	 var/log root opt/tools; do
	mkdir -p "$root/$d"
done
ln -s ../run "$root/var/run"
cp /bin/busybox "$root/bin/busybox"
cp -R "$src/rootfs/." "$root/"
/bin/busybox --list-full | while read -r a; do
	[ -e "$root/$a" ] || [ -L "$root/$a" ] && continue
	mkdir -p "$root/$(dirname "$a")"
	ln -s /bin/busybox "$root/$a"
done
ln -s bin/busybox "$root/init"
for f in /usr/sbin/qemu-ga $(libs /usr/sbin/qemu-ga); do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done

# The modules named in guest/modules, with what they depend on, in
# loading order.
grep -v '^#' "$src/modules" | awk -v dep="$moddir/modules.dep" '
	function name(p) {
		sub(/.*\//, "", p); sub(/\.ko.*/, "", p); gsub(/-/, "_", p)
		return p
	}
	function add(m,    n, i, d) {
		if (m in done) return
		done[m] = 1
		n = split(deps[m], d, " ")
		for (i = n; i >= 1; i--) add(name(d[i]))
		print path[m]
	}
	BEGIN {
		while ((getline line < dep) > 0) {
			split(line, f, ":")
			m = name(f[1]); path[m] = f[1]; deps[m] = f[2]
		}
	}
	NF { m = $1; gsub(/-/, "_", m)
	     if (!(m in path)) { print "?" m; exit 1 }
	     add(m) }' > "$tmp/modules" ||
	die "module $(sed -n 's/^?//p' "$tmp/modules") is not in" \
		"$moddir/modules.dep"
while read -r m; do
	mkdir -p "$root$moddir/$(dirname "$m")"
	cp "$moddir/$m" "$root$moddir/$m"
done < "$tmp/modules"
grep -Fxf "$tmp/modules" "$moddir/modules.order" > "$root$moddir/modules.order" ||
	true
for f in modules.builtin modules.builtin.modinfo; do
	[ -e "$moddir/$f" ] && cp "$moddir/$f" "$root$moddir/"
done
depmod -b "$root" "$kver"
grep -v '^#' "$src/modules" > "$root/etc/modules"

# Uncompressed: under TCG the kernel unpacks that fastest (docs/GUEST.md).
(cd "$root" && find . | sort | cpio -o -H newc -R 0:0 --quiet) \
	> "$tmp/initrd.img"

# The tools disk: fio with its libraries, run through their own loader.
tools=$tmp/tools
mkdir -p "$tools/bin" "$tools/lib" "$tools/libexec"
cp /usr/bin/fio "$tools/libexec/fio"
for f in $(libs /usr/bin/fio); do
	cp -L "$f" "$tools/lib/"
done
cat > "$tools/bin/fio" << 'EOS'
#!/bin/sh
exec /opt/tools/lib/ld-linux-x86-64.so.2 --library-path /opt/tools/lib \
	--argv0 fio /opt/tools/libexec/fio "$@"
EOS
chmod 755 "$tools/bin/fio"
# Uncompressed too: fio starts faster than from lz4, gzip or zstd.
mksquashfs "$tools" "$tmp/tools.img" -noappend -all-root -no-xattrs \
	-noI -noD -noF -noX -quiet > /dev/null

# The kernel, and the ELF image inside it: QEMU starts that one through
# its PVH entry point, without the slow decompression under TCG.
cp "$kernel" "$tmp/vmlinuz"
# field OFFSET SIZE: an unsigned number from the bzImage header
field() {
	od -An -tu"$2" -j "$1" -N "$2" "$kernel" | tr -d ' '
}
extract_vmlinux() {
	[ "$(od -An -c -j 514 -N 4 "$kernel" | tr -d ' ')" = HdrS ] || return 1
	sects=$(field 497 1)
	[ "$sects" != 0 ] || sects=4
	start=$(( (sects + 1) * 512 + $(field 584 4) ))
	len=$(( $(field 588 4) - 4 ))	# the last 4 bytes: unpacked size
	case $(od -An -tx1 -j "$start" -N 4 "$kernel" | tr -d ' ') in
	fd377a58) unpack="xz -dc" ;;
	28b52ffd) unpack="zstd -dcq" ;;
	1f8b*) unpack="gzip -dc" ;;
	*) return 1 ;;
	esac
	tail -c +$((start + 1)) "$kernel" | head -c "$len" | $unpack \
		> "$tmp/vmlinux" 2> /dev/null || return 1
	[ "$(od -An -c -N 4 "$tmp/vmlinux" | tr -d ' ')" = 177ELF ] || return 1
	# the XEN_ELFNOTE_PHYS32_ENTRY note that QEMU looks for
	grep -qaP '\x04\x00\x00\x00[\x04\x08]\x00\x00\x00\x12\x00\x00\x00Xen\x00' \
		"$tmp/vmlinux"
}
if extract_vmlinux; then
	boot_kernel=vmlinux
else
	log "no PVH kernel image in $kernel: the guest boots vmlinuz"
	rm -f "$tmp/vmlinux"
	boot_kernel=vmlinuz
fi

grep -v '^#' "$src/cmdline" | tr '\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//' \
	> "$tmp/cmdline"
echo >> "$tmp/cmdline"
version() {
	dpkg-query -W -f '${Version}' "$1" 2> /dev/null || echo unknown
}
cat > "$tmp/manifest" << EOS
kver=$kver
kernel=$boot_kernel
busybox=$(version busybox-static)
qemu_ga=$(version qemu-guest-agent)
fio=$(version fio)
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
inputs_hash=$hash
EOS
echo "$hash" > "$tmp/stamp"
rm -rf "$root" "$tools" "$tmp/modules"

# Swap the new guest in: OUTDIR is always either the old or the new one.
if [ -e "$out" ]; then
	mv "$out" "$out.old.$$"
fi
mv "$tmp" "$out"
rm -rf "$out.old.$$"
trap - EXIT
log "guest built in $out"
