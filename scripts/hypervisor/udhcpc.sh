#!/bin/sh
# udhcpc passes interface, ip and mask in the environment.
# shellcheck disable=SC2154
case "$1" in
deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
bound | renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    echo "yun-guest: lease $ip"
    ;;
esac
exit 0
