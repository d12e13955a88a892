# Gives one execution environment Lambda's view of the machine. Runs as root inside a new mount
# and network namespace (unshare) and stays as the process the sandbox's nsenter calls target;
# the environment's gateway runs as its child. Every mount is private to the namespace: the
# host sees none. Commands are few on purpose: each one is a process start.
#
# Input (variables): ENV_DIR (the environment's directory, with root/ and tmp/ made: sockets,
# gateway.mjs, the backing of /tmp), TASK_DIR, RUNTIME_DIR, LANG_DIR (the Node prefix:
# bin/node), OPT_LOWERDIR (empty, one layer, or overlay lower dirs top first: later layers win),
# HOSTS, PASSWD and GROUP (the environment's /etc files), XRAY_DAEMON_HOST and SANDBOX_HOST (the
# link-local addresses of gateway-protocol.ts), GATEWAY_CONFIG.
set -eu
cd "$ENV_DIR"
ip -batch - <<ADDRESSES
link set lo up
addr add $XRAY_DAEMON_HOST/32 dev lo
addr add $SANDBOX_HOST/32 dev lo
ADDRESSES
# The gateway starts while the mounts are made (Node takes longer than all of them). Its
# stdin stays the sandbox's pipe, so it exits when the sandbox does (a background command's
# stdin would be /dev/null, even redirected from 0: hence 3). Node resolves a relative script
# against the path of the working directory, which /tmp may soon cover: /proc/self/cwd reaches
# the directory itself, and Node must not resolve that link.
exec 3<&0
"$LANG_DIR/bin/node" --preserve-symlinks-main /proc/self/cwd/gateway.mjs "$GATEWAY_CONFIG" <&3 3<&- &
gateway=$!
mount -t tmpfs -o mode=0755,size=1m lambda root
mkdir -p root/var/task root/var/runtime root/var/lang root/opt root/etc
printf '%s' "$HOSTS" >root/etc/hosts
printf '%s' "$PASSWD" >root/etc/passwd
printf '%s' "$GROUP" >root/etc/group
mount --bind -o ro "$TASK_DIR" root/var/task
mount --bind -o ro "$RUNTIME_DIR" root/var/runtime
mount --bind -o ro "$LANG_DIR" root/var/lang
case "$OPT_LOWERDIR" in
'') ;;
*:*) mount -t overlay lambda-opt -o "ro,lowerdir=$OPT_LOWERDIR" root/opt ;;
*) mount --bind -o ro "$OPT_LOWERDIR" root/opt ;;
esac
# From here on sources are relative and never canonicalized (-c): the working directory stays
# reachable after /var or /tmp covers the path it was reached by.
mount -c --rbind root/opt /opt
mount -c --rbind root/var /var
mount -c --bind root/etc/hosts /etc/hosts
mount -c --bind root/etc/passwd /etc/passwd
mount -c --bind root/etc/group /etc/group
mount -c --bind tmp /tmp
echo mounted
wait "$gateway"
