#!/bin/busybox sh
# shellcheck shell=dash
# (busybox sh is an ash; dash is the nearest shell shellcheck checks.)
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
while read -r m; do
    insmod "/lib/modules/$m.ko" || echo "yun-guest: insmod $m failed"
done </lib/modules/order
ip link set lo up
ip link set eth0 up
# Backgrounds itself once it has a lease and keeps renewing it.
udhcpc -i eth0 -s /etc/udhcpc.script -b -t 30 -T 2
if grep -q 'yun.burn=1' /proc/cmdline; then
    (while :; do :; done) &
fi
# Disk writes (and reads after dropping the cache) so block counters move.
(
    i=0
    while :; do
        dd if=/dev/urandom of=/dev/vda bs=64k count=4 seek=$((i % 256 * 4)) conv=fsync 2>/dev/null
        echo 3 >/proc/sys/vm/drop_caches
        dd if=/dev/vda of=/dev/null bs=64k count=16 skip=$((i % 64 * 16)) 2>/dev/null
        i=$((i + 1))
        sleep 2
    done
) &
# Pings to the bridge, the guest's only peer, so interface counters move.
(
    while :; do
        ping -c 1 -W 1 192.168.213.1 >/dev/null 2>&1
        sleep 1
    done
) &
echo "YUN-READY $(ip -4 -o addr show dev eth0 | awk '{print $4}')"
while :; do sleep 3600; done
