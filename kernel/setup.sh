#!/usr/bin/env bash
# kernel/setup.sh - prepare the NlmonPS kernel test rig (idempotent).
#
#  * installs the Debian packages the rig and the fixture recorder need,
#  * fetches Debian's stock kernel (the package linux-image-amd64 depends on)
#    with `apt-get download` and unpacks it into kernel/.cache (never /boot),
#  * runs depmod on the unpacked modules,
#  * builds the initramfs (busybox-static + virtio/9p/overlay modules).
#
# Safe to run again: each step is skipped when already done.
# Environment:
#   NLMONPS_RIG_CACHE   cache folder (default: kernel/.cache next to this script)
#   NLMONPS_RIG_KERNEL  kernel package to use instead of resolving linux-image-amd64
#   NLMONPS_RIG_NO_APT=1  never call apt-get install (fail if something is missing)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${NLMONPS_RIG_CACHE:-$HERE/.cache}"
export DEBIAN_FRONTEND=noninteractive

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

t0=$SECONDS
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"

# ---------------------------------------------------------------- packages --
# command -> package (the rig itself, then the tools record-fixtures.sh drives)
PKGS=(
    qemu-system-x86     # qemu-system-x86_64
    busybox-static      # initramfs userland
    kmod                # modprobe/depmod (host and guest)
    cpio                # initramfs archive
    iproute2            # ip, tc, ss, bridge, genl, devlink
    tcpdump             # nlmon capture
    nftables            # nft
    conntrack           # conntrack
    ethtool             # ethtool (netlink)
    dropwatch           # drop monitor client
    wireguard-tools     # wg
    netcat-openbsd      # nc
    socat               # sockets for sockdiag
    iputils-ping        # ping
    procps              # ps, sysctl
)

APT_UPDATED=0
apt_update() {
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        apt-get update -qq || die "apt-get update failed"
        APT_UPDATED=1
    fi
}

missing=()
for p in "${PKGS[@]}"; do
    st="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
    [ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "${NLMONPS_RIG_NO_APT:-0}" = 1 ] && die "missing packages: ${missing[*]} (NLMONPS_RIG_NO_APT=1)"
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run as root to install them"
    apt_update
    say "apt-get install ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install failed"
else
    say "packages: all ${#PKGS[@]} present"
fi

# ------------------------------------------------------------------ kernel --
resolve_kernel_pkg() {
    if [ -n "${NLMONPS_RIG_KERNEL:-}" ]; then echo "$NLMONPS_RIG_KERNEL"; return; fi
    apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '/^ *Depends: *linux-image-[0-9]/ { print $2; exit }'
}

PKG="$(resolve_kernel_pkg || true)"
if [ -z "$PKG" ]; then
    apt_update
    PKG="$(resolve_kernel_pkg || true)"
fi
if [ -z "$PKG" ] && [ -f "$CACHE/kernel.env" ]; then
    # offline and nothing resolvable: keep what we have
    # shellcheck disable=SC1091
    . "$CACHE/kernel.env"
    PKG="$RIG_KPKG"
    say "cannot resolve linux-image-amd64; keeping cached $PKG"
fi
[ -n "$PKG" ] || die "cannot resolve the kernel package (apt-cache depends linux-image-amd64)"
KVER="${PKG#linux-image-}"
KDIR="$CACHE/kernels/$KVER"

if [ -f "$KDIR/.done" ]; then
    say "kernel: $PKG already unpacked in $KDIR"
else
    say "kernel: fetching $PKG"
    dl="$CACHE/download"
    rm -rf "$dl" "$KDIR.tmp"
    mkdir -p "$dl"
    # apt-get download drops privileges to _apt; let it write there
    chmod 0777 "$dl"
    if ! (cd "$dl" && apt-get download -q "$PKG" >"$CACHE/download.log" 2>&1); then
        apt_update
        (cd "$dl" && apt-get download -q "$PKG" >"$CACHE/download.log" 2>&1) \
            || { cat "$CACHE/download.log" >&2; die "apt-get download $PKG failed"; }
    fi
    deb="$(ls "$dl"/*.deb 2>/dev/null | head -n1)"
    [ -n "$deb" ] || die "apt-get download $PKG produced no .deb"
    say "kernel: unpacking $(basename "$deb")"
    mkdir -p "$KDIR.tmp"
    dpkg-deb --fsys-tarfile "$deb" \
        | tar -x -C "$KDIR.tmp" --wildcards './boot/*' './lib/modules/*' 2>/dev/null \
        || dpkg-deb -x "$deb" "$KDIR.tmp"
    [ -f "$KDIR.tmp/boot/vmlinuz-$KVER" ] || die "no vmlinuz-$KVER in $deb"
    [ -d "$KDIR.tmp/lib/modules/$KVER" ] || die "no lib/modules/$KVER in $deb"
    say "kernel: depmod $KVER"
    depmod -b "$KDIR.tmp" "$KVER" || die "depmod failed"
    rm -rf "$dl" "$KDIR"
    touch "$KDIR.tmp/.done"
    mv "$KDIR.tmp" "$KDIR"
    # drop other (superseded) kernels from the cache
    for old in "$CACHE"/kernels/*; do
        [ "$old" = "$KDIR" ] || { say "kernel: removing old $old"; rm -rf "$old"; }
    done
fi
MODROOT="$KDIR/lib/modules/$KVER"

# --------------------------------------------------------------- initramfs --
# Modules needed to reach the host root, in dependency order via modules.dep.
WANT=(virtio_pci virtio_console 9pnet_virtio 9p overlay)
declare -A SEEN=()
ORDER=()
add_mod() { # $1 = path relative to MODROOT, e.g. kernel/fs/9p/9p.ko
    local rel="$1" dep line
    [ -n "${SEEN[$rel]:-}" ] && return 0
    SEEN[$rel]=1
    line="$(grep -E "^${rel//./\\.}:" "$MODROOT/modules.dep" || true)"
    for dep in ${line#*:}; do add_mod "$dep"; done
    ORDER+=("$rel")
}
for m in "${WANT[@]}"; do
    rel="$(modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}' | tail -n1 || true)"
    if [ -z "$rel" ]; then
        if grep -qE "/${m}\.ko$" "$MODROOT/modules.builtin"; then continue; fi
        die "module $m not found for $KVER"
    fi
    add_mod "${rel#"$MODROOT"/}"
done

INITRD="$CACHE/initramfs.cpio.gz"
BUSYBOX="$(command -v busybox || echo /bin/busybox)"
stamp="$( { echo "$KVER"; printf '%s\n' "${ORDER[@]}"; sha256sum "$HERE/initramfs-init.sh" "$BUSYBOX"; } | sha256sum | cut -d' ' -f1)"
if [ -f "$INITRD" ] && [ "$(cat "$CACHE/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
    say "initramfs: up to date ($INITRD)"
else
    say "initramfs: building with ${#ORDER[@]} modules: $(printf '%s ' "${ORDER[@]##*/}")"
    st="$CACHE/initramfs.tmp"
    rm -rf "$st"
    mkdir -p "$st"/{bin,sbin,dev,proc,sys,lower,rw,newroot,modules}
    cp "$BUSYBOX" "$st/bin/busybox"
    ln -s busybox "$st/bin/sh"
    install -m 0755 "$HERE/initramfs-init.sh" "$st/init"
    : > "$st/modules.list"
    for rel in "${ORDER[@]}"; do
        cp "$MODROOT/$rel" "$st/modules/"
        basename "$rel" >> "$st/modules.list"
    done
    (cd "$st" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > "$INITRD.tmp")
    mv "$INITRD.tmp" "$INITRD"
    echo "$stamp" > "$CACHE/initramfs.stamp"
    rm -rf "$st"
fi

cat > "$CACHE/kernel.env.tmp" <<EOF
RIG_KPKG=$PKG
RIG_KVER=$KVER
RIG_VMLINUZ=$KDIR/boot/vmlinuz-$KVER
RIG_MODDIR=$MODROOT
RIG_INITRD=$INITRD
EOF
mv "$CACHE/kernel.env.tmp" "$CACHE/kernel.env"

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found after install"
say "ready: kernel $KVER, initramfs $(du -h "$INITRD" | cut -f1), took $((SECONDS - t0)) s"
say "try: $HERE/run.sh -- uname -r"
