#!/usr/bin/env bash
# kernel/setup.sh [--kernel 6.1|6.12] - prepare the NlmonPS kernel test rig (idempotent).
#
#  * installs the Debian packages the rig and the fixture recorder need,
#  * resolves Debian's stock kernel from the archive's metapackage (the package
#    linux-image-amd64 depends on), now, at run time:
#      6.1   the system's own suite (bookworm, with its security updates)
#      6.12  bookworm-backports, read through a private apt configuration in the
#            cache (a sources line with the system's own archive URI); the
#            system's apt sources stay untouched
#  * fetches it with `apt-get download` and unpacks it into kernel/.cache/<kernel>/
#    (never /boot), each kernel cached apart, and runs depmod,
#  * builds that kernel's initramfs (busybox-static + virtio/9p/overlay modules).
#
# Safe to run again: each step is skipped when already done.
# Environment:
#   NLMONPS_KERNEL      6.1 (default) or 6.12, as --kernel
#   NLMONPS_RIG_CACHE   cache folder (default: kernel/.cache next to this script)
#   NLMONPS_RIG_KERNEL  kernel package to use instead of resolving linux-image-amd64
#   NLMONPS_RIG_NO_APT=1  never call apt-get install (fail if something is missing)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${NLMONPS_RIG_CACHE:-$HERE/.cache}"
KERNEL="${NLMONPS_KERNEL:-6.1}"
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) [ $# -ge 2 ] || { echo "setup: --kernel needs 6.1 or 6.12" >&2; exit 2; }; KERNEL="$2"; shift 2 ;;
        --kernel=*) KERNEL="${1#*=}"; shift ;;
        *) echo "setup: unknown argument $1 (usage: setup.sh [--kernel 6.1|6.12])" >&2; exit 2 ;;
    esac
done
export DEBIAN_FRONTEND=noninteractive

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

t0=$SECONDS
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
CODENAME="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
case "$KERNEL" in
    6.1)  SUITE="" ;;                       # the system's own apt sources
    6.12) SUITE="${CODENAME:-bookworm}-backports" ;;
    *) die "unknown kernel '$KERNEL': use --kernel 6.1 (Debian 12's) or --kernel 6.12 (bookworm-backports)" ;;
esac
KCACHE="$CACHE/$KERNEL"
mkdir -p "$KCACHE"

# ---------------------------------------------------------------- packages --
# command -> package (the rig itself, then the tools record-fixtures.sh drives)
PKGS=(
    qemu-system-x86     # qemu-system-x86_64
    busybox-static      # initramfs userland
    xz-utils            # 6.12's modules are .ko.xz: unpacked for busybox's insmod
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
    # quiet: no dpkg progress, no debconf warnings; apt's output only when it fails
    DEBCONF_NOWARNINGS=yes apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >"$CACHE/apt.log" 2>&1 \
        || { cat "$CACHE/apt.log" >&2; die "apt-get install failed"; }
else
    say "packages: all ${#PKGS[@]} present"
fi

# ------------------------------------------------------------------ kernel --
# The system's archive URI and key, from its own apt sources (deb822 or one-line), for the backports suite.
archive_source() {
    local f uri="" key=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        read -r uri key < <(awk -v s="$CODENAME" '
            function flush() { if (u != "" && (" " su " ") ~ (" " s " ") && u !~ /security/) { print u, k; found = 1; exit } u = su = k = "" }
            /^[ \t]*$/ { flush(); next }
            /^URIs:/ { u = $2 } /^Suites:/ { $1 = ""; su = $0 } /^Signed-By:/ { k = $2 }
            END { if (!found) flush() }' "$f") || true
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ]; then
        uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk -v s="$CODENAME" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^\[/) continue; else { if ($(i+1) == s) { print $i; exit } break } }')"
    fi
    [ -n "$uri" ] || return 1
    [ -n "$key" ] || key=/usr/share/keyrings/debian-archive-keyring.gpg
    echo "deb [signed-by=$key] $uri $SUITE main"
}

# apt for the kernel's suite: the system's own for 6.1; a private configuration in the cache for backports
APT=()
if [ -n "$SUITE" ]; then
    A="$KCACHE/apt"
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/parts"
    touch "$A/status"
    APT=(-o "Dir::Etc::SourceList=$A/sources.list" -o "Dir::Etc::SourceParts=$A/parts"
         -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o "Dir::State::status=$A/status"
         -o "APT::Sandbox::User=root")
    line="$(archive_source)" || die "no Debian archive URI for $CODENAME in /etc/apt/sources.list{,.d/*}"
    [ "$(cat "$A/sources.list" 2>/dev/null)" = "$line" ] || { echo "$line" > "$A/sources.list"; rm -f "$A/lists/"*_Packages* 2>/dev/null; }
fi
KAPT_UPDATED=0
kernel_apt_update() {
    if [ -z "$SUITE" ]; then apt_update; return; fi
    [ "$KAPT_UPDATED" = 0 ] || return 0
    say "apt-get update ($SUITE, private lists in $KCACHE/apt)"
    apt-get "${APT[@]}" update -qq || die "apt-get update of $SUITE failed"
    KAPT_UPDATED=1
}

resolve_kernel_pkg() {
    if [ -n "${NLMONPS_RIG_KERNEL:-}" ]; then echo "$NLMONPS_RIG_KERNEL"; return; fi
    apt-cache "${APT[@]}" depends linux-image-amd64 2>/dev/null \
        | awk '/^ *Depends: *linux-image-[0-9]/ { print $2; exit }'
}

# The metapackage is resolved anew each time (the private lists are refreshed once a day).
[ -n "$SUITE" ] && [ -z "$(find "$KCACHE/apt/lists" -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ] && kernel_apt_update
PKG="$(resolve_kernel_pkg || true)"
if [ -z "$PKG" ]; then
    kernel_apt_update
    PKG="$(resolve_kernel_pkg || true)"
fi
if [ -z "$PKG" ] && [ -f "$KCACHE/kernel.env" ]; then
    # offline and nothing resolvable: keep what we have
    # shellcheck disable=SC1091
    . "$KCACHE/kernel.env"
    PKG="$RIG_KPKG"
    say "cannot resolve linux-image-amd64; keeping cached $PKG"
fi
[ -n "$PKG" ] || die "cannot resolve the kernel package (apt-cache depends linux-image-amd64${SUITE:+ in $SUITE})"
KVER="${PKG#linux-image-}"
case "$KVER" in "$KERNEL".*) ;; *) say "note: --kernel $KERNEL resolved to $KVER (Debian moved on)" ;; esac
KDIR="$KCACHE/kernels/$KVER"

if [ -f "$KDIR/.done" ]; then
    say "kernel: $PKG already unpacked in $KDIR"
else
    say "kernel: fetching $PKG"
    dl="$KCACHE/download"
    rm -rf "$dl" "$KDIR.tmp"
    mkdir -p "$dl"
    # apt-get download drops privileges to _apt; let it write there
    chmod 0777 "$dl"
    if ! (cd "$dl" && apt-get "${APT[@]}" download -q "$PKG" >"$KCACHE/download.log" 2>&1); then
        kernel_apt_update
        (cd "$dl" && apt-get "${APT[@]}" download -q "$PKG" >"$KCACHE/download.log" 2>&1) \
            || { cat "$KCACHE/download.log" >&2; die "apt-get download $PKG failed"; }
    fi
    deb="$(ls "$dl"/*.deb 2>/dev/null | head -n1)"
    [ -n "$deb" ] || die "apt-get download $PKG produced no .deb"
    say "kernel: unpacking $(basename "$deb") ($(du -m "$deb" | cut -f1) MB)"
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
    for old in "$KCACHE"/kernels/*; do
        [ "$old" = "$KDIR" ] || { say "kernel: removing old $old"; rm -rf "$old"; }
    done
fi
MODROOT="$KDIR/lib/modules/$KVER"

# --------------------------------------------------------------- initramfs --
# Modules needed to reach the host root, in dependency order via modules.dep.
WANT=(virtio_pci virtio_console 9pnet_virtio netfs 9p overlay)   # 9p needs netfs on 6.12
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

INITRD="$KCACHE/initramfs.cpio.gz"
BUSYBOX="$(command -v busybox || echo /bin/busybox)"
stamp="$( { echo "$KVER"; printf '%s\n' "${ORDER[@]}"; sha256sum "$HERE/initramfs-init.sh" "$BUSYBOX"; } | sha256sum | cut -d' ' -f1)"
if [ -f "$INITRD" ] && [ "$(cat "$KCACHE/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
    say "initramfs: up to date ($INITRD)"
else
    say "initramfs: building with ${#ORDER[@]} modules: $(printf '%s ' "${ORDER[@]##*/}")"
    st="$KCACHE/initramfs.tmp"
    rm -rf "$st"
    mkdir -p "$st"/{bin,sbin,dev,proc,sys,lower,rw,newroot,modules}
    cp "$BUSYBOX" "$st/bin/busybox"
    ln -s busybox "$st/bin/sh"
    install -m 0755 "$HERE/initramfs-init.sh" "$st/init"
    : > "$st/modules.list"
    for rel in "${ORDER[@]}"; do
        ko="$(basename "$rel")"
        case "$ko" in   # busybox's insmod takes plain .ko files
            *.ko.xz)  xz -dc "$MODROOT/$rel" > "$st/modules/${ko%.xz}"; ko="${ko%.xz}" ;;
            *.ko.zst) zstd -qdc "$MODROOT/$rel" > "$st/modules/${ko%.zst}"; ko="${ko%.zst}" ;;
            *)        cp "$MODROOT/$rel" "$st/modules/" ;;
        esac
        echo "$ko" >> "$st/modules.list"
    done
    (cd "$st" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > "$INITRD.tmp")
    mv "$INITRD.tmp" "$INITRD"
    echo "$stamp" > "$KCACHE/initramfs.stamp"
    rm -rf "$st"
fi

cat > "$KCACHE/kernel.env.tmp" <<EOF
RIG_KPKG=$PKG
RIG_KVER=$KVER
RIG_VMLINUZ=$KDIR/boot/vmlinuz-$KVER
RIG_MODDIR=$MODROOT
RIG_INITRD=$INITRD
EOF
mv "$KCACHE/kernel.env.tmp" "$KCACHE/kernel.env"

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found after install"
say "ready: kernel $KVER, initramfs $(du -h "$INITRD" | cut -f1), took $((SECONDS - t0)) s"
say "try: $HERE/run.sh --kernel $KERNEL -- uname -r"
