#!/bin/sh
# PID 1 of the NlmonPS test rig guest (runs from the initramfs under busybox).
#
# Built into kernel/.cache/initramfs.cpio by kernel/setup.sh; booted by
# kernel/run.sh. It:
#   1. loads the modules needed to reach the host (virtio, 9p, overlay),
#   2. mounts the host's / (read-only 9p) under a tmpfs-backed overlay,
#   3. binds the unpacked stock kernel's modules to /lib/modules/<ver>,
#   4. mounts the read-write --share directories over their host paths,
#   5. mounts proc/sys/dev/devpts/run/..., brings lo up,
#   6. runs the caller's command (chroot into the overlay, in the caller's cwd)
#      with stdout/stderr on dedicated virtio serial ports,
#   7. reports the exit status on a third port and powers off.
# Kernel messages go to ttyS0 (a file on the host). Anything this script wants
# the caller to see goes to the status port as "error=..." lines.

export PATH=/bin:/sbin
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /lower /rw /newroot
/bin/busybox --install -s /bin 2>/dev/null

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

log() { echo "rig-init: $*" > /dev/ttyS0 2>/dev/null || echo "rig-init: $*"; }

STATUS=""
fail() {
    log "ERROR: $*"
    if [ -n "$STATUS" ]; then echo "error=$*" > "$STATUS"; fi
    sync
    poweroff -f
    sleep 10
    exit 1
}

# ---- parameters from the kernel command line -------------------------------
RUNDIR=""
KVER=""
MODDIR=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        rig.run=*) RUNDIR="${arg#rig.run=}" ;;
        rig.kver=*) KVER="${arg#rig.kver=}" ;;
        rig.moddir=*) MODDIR="${arg#rig.moddir=}" ;;
    esac
done

# ---- modules ----------------------------------------------------------------
# /modules.list holds the .ko files in dependency order (made by setup.sh).
while read -r ko; do
    [ -n "$ko" ] || continue
    insmod "/modules/$ko" 2>/dev/null || log "insmod $ko failed (maybe built in)"
done < /modules.list

# ---- virtio serial ports ----------------------------------------------------
# Port names come from run.sh: rig.stdout, rig.stderr, rig.status.
mkdir -p /dev/virtio-ports
i=0
while [ $i -lt 100 ]; do
    found=0
    for p in /sys/class/virtio-ports/*; do
        [ -e "$p/name" ] || continue
        n="$(cat "$p/name")"
        [ -n "$n" ] || continue
        ln -sf "../${p##*/}" "/dev/virtio-ports/$n" 2>/dev/null
        case "$n" in rig.status) found=1 ;; esac
    done
    if [ $found = 1 ] && [ -e /dev/virtio-ports/rig.stdout ] && [ -e /dev/virtio-ports/rig.stderr ]; then
        break
    fi
    i=$((i + 1))
    sleep 0.05
done
[ -e /dev/virtio-ports/rig.status ] && STATUS=/dev/virtio-ports/rig.status
[ -n "$STATUS" ] || fail "virtio serial ports did not show up"
[ -n "$RUNDIR" ] || fail "no rig.run= on the kernel command line"

# ---- host root (read-only 9p) + tmpfs overlay -------------------------------
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /lower \
    || fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 rigrw /rw || fail "cannot mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,index=off,metacopy=off,redirect_dir=off,xino=off /newroot 2>/dev/null \
  || mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot \
  || fail "cannot mount the overlay over the host root"

R="/lower$RUNDIR"
[ -f "$R/cmd.sh" ] || fail "run directory $RUNDIR not visible in the guest"

# ---- stock kernel modules at /lib/modules/<ver> ---------------------------
if [ -n "$KVER" ] && [ -n "$MODDIR" ]; then
    [ -d "/newroot$MODDIR" ] || fail "module directory $MODDIR not visible in the guest"
    mkdir -p "/newroot/lib/modules/$KVER" || fail "cannot create /lib/modules/$KVER"
    mount --bind "/newroot$MODDIR" "/newroot/lib/modules/$KVER" || fail "cannot bind $MODDIR"
fi

# ---- read-write shares ------------------------------------------------------
# $R/shares: one host path a line, in mount_tag order (rigshare0, rigshare1...).
if [ -f "$R/shares" ]; then
    n=0
    while IFS= read -r dir; do
        [ -n "$dir" ] || continue
        mkdir -p "/newroot$dir" || fail "cannot create mount point $dir"
        mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=mmap "rigshare$n" "/newroot$dir" \
            || fail "cannot mount share $dir"
        n=$((n + 1))
    done < "$R/shares"
fi

# ---- kernel module autoloading ----------------------------------------------
# The kernel runs its modprobe helper (request_module: crypto algorithms, nft
# expressions, netdev kinds...) in PID 1's root, which is this initramfs and
# has no modules. Point it at a helper that runs the host's modprobe inside
# the overlay root, where /lib/modules/<ver> is bound.
mkdir -p /sbin
cat > /sbin/rig-modprobe <<'EOS'
#!/bin/sh
exec /bin/chroot /newroot /sbin/modprobe "$@"
EOS
chmod 0755 /sbin/rig-modprobe
echo /sbin/rig-modprobe > /proc/sys/kernel/modprobe || log "cannot set kernel.modprobe"

# ---- pseudo file systems ----------------------------------------------------
mount -t proc proc /newroot/proc || fail "mount proc"
mount -t sysfs sysfs /newroot/sys || fail "mount sysfs"
mount -t devtmpfs devtmpfs /newroot/dev || fail "mount devtmpfs"
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /newroot/dev/pts
[ -e /newroot/dev/ptmx ] || ln -sf pts/ptmx /newroot/dev/ptmx
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
mount -t mqueue mqueue /newroot/dev/mqueue 2>/dev/null
mount -t tmpfs -o mode=0755 run /newroot/run || fail "mount /run"
mkdir -p /newroot/run/lock /newroot/run/netns /newroot/run/nlmonps-rig
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null
mount -t bpf bpf /newroot/sys/fs/bpf 2>/dev/null
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
ln -sf /proc/self/fd /newroot/dev/fd 2>/dev/null
ln -sf /proc/self/fd/0 /newroot/dev/stdin 2>/dev/null
ln -sf /proc/self/fd/1 /newroot/dev/stdout 2>/dev/null
ln -sf /proc/self/fd/2 /newroot/dev/stderr 2>/dev/null
cp "$R/cmd.sh" /newroot/run/nlmonps-rig/cmd.sh || fail "cannot copy cmd.sh"

hostname nlmonps-rig 2>/dev/null
ip link set lo up 2>/dev/null || chroot /newroot ip link set lo up 2>/dev/null

# ---- the command ------------------------------------------------------------
chroot /newroot /usr/bin/env -i /bin/sh /run/nlmonps-rig/cmd.sh \
    </dev/null >/dev/virtio-ports/rig.stdout 2>/dev/virtio-ports/rig.stderr
rc=$?
sync
echo "exit=$rc" > "$STATUS"
sync
poweroff -f
sleep 10
