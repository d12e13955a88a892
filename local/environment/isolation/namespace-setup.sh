# Gives one execution environment Lambda's view of the machine. Runs as root inside a new mount
# and network namespace (unshare), then becomes the environment's gateway, whose pid the
# sandbox's nsenter calls target. Every mount is private to the namespace: the host sees none.
#
# Input (variables): ENV_DIR (the environment's directory: sockets, hosts, gateway.mjs, the
# backing of /tmp), TASK_DIR, RUNTIME_DIR, LANG_DIR (the Node prefix: bin/node), OPT_LOWERDIR
# (empty, one layer, or overlay lower dirs top first: later layers win), GATEWAY_CONFIG.
set -eu
cd "$ENV_DIR"
mkdir -p root tmp
mount -t tmpfs -o mode=0755,size=1m lambda root
mkdir -p root/var/task root/var/runtime root/var/lang root/opt root/etc
mount --bind -o ro "$TASK_DIR" root/var/task
mount --bind -o ro "$RUNTIME_DIR" root/var/runtime
mount --bind -o ro "$LANG_DIR" root/var/lang
case "$OPT_LOWERDIR" in
'') ;;
*:*) mount -t overlay lambda-opt -o "ro,lowerdir=$OPT_LOWERDIR" root/opt ;;
*) mount --bind -o ro "$OPT_LOWERDIR" root/opt ;;
esac
cp hosts root/etc/hosts
# From here on sources are relative and never canonicalized (-c): the working directory stays
# reachable after /var or /tmp covers the path it was reached by.
mount -c --rbind root/opt /opt
mount -c --rbind root/var /var
mount -c --bind root/etc/hosts /etc/hosts
mount -c --bind tmp /tmp
ip link set lo up
ip addr add 169.254.79.129/32 dev lo
ip addr add 169.254.79.1/32 dev lo
# Node resolves a relative script against the path of the working directory, which /tmp may now
# cover: /proc/self/cwd reaches the directory itself, and Node must not resolve that link.
exec /var/lang/bin/node --preserve-symlinks-main /proc/self/cwd/gateway.mjs "$GATEWAY_CONFIG"
