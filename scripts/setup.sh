#!/usr/bin/env bash
# Sets up a Debian 12 node for critter, idempotently: system packages, the default CNI
# conflist, the cgroup fix crun needs on hybrid hosts, then npm ci and the build.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*"; }

PACKAGES=(
  runc crun conmon containernetworking-plugins iptables docker-registry busybox-static
  containerd iproute2 util-linux kmod ca-certificates curl
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root (it installs packages and configures the node)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the registry as a service on :5000; tests run their own on random ports.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
else
  log "packages present"
fi

# crun 1.8 refuses a hybrid cgroup layout while hugetlb sits on the cgroup2 mount:
# giving hugetlb its own v1 hierarchy is the known fix.
if [ -d /sys/fs/cgroup ] && [ "$(stat -fc %T /sys/fs/cgroup)" = "tmpfs" ]; then
  if ! mountpoint -q /sys/fs/cgroup/hugetlb && grep -qw hugetlb /proc/cgroups; then
    mkdir -p /sys/fs/cgroup/hugetlb 2>/dev/null || mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
    mkdir -p /sys/fs/cgroup/hugetlb 2>/dev/null || true
    if mount -t cgroup -o hugetlb hugetlb /sys/fs/cgroup/hugetlb 2>/dev/null; then
      log "mounted the v1 hugetlb hierarchy (for crun)"
    else
      log "warning: could not mount a v1 hugetlb hierarchy; crun may refuse this host"
    fi
  fi
fi

# The default pod network, only when the node has none (an existing CNI config always wins):
# bridge critter0 with host-local IPAM on containerd's default 10.88.0.0/16, portmap, loopback.
CNI_CONF_DIR=/etc/cni/net.d
if ! find "$CNI_CONF_DIR" -maxdepth 1 -type f \( -name '*.conflist' -o -name '*.conf' -o -name '*.json' \) 2>/dev/null | grep -q .; then
  mkdir -p "$CNI_CONF_DIR"
  cat > "$CNI_CONF_DIR/10-critter.conflist" <<'CONFLIST'
{
  "cniVersion": "1.0.0",
  "name": "critter",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "critter0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.88.0.0/16" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
CONFLIST
  log "installed the default CNI network $CNI_CONF_DIR/10-critter.conflist (10.88.0.0/16 on critter0)"
else
  log "CNI config present in $CNI_CONF_DIR; leaving it as it is"
fi

if [ "${1:-}" != "--no-build" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  log "build"
  npm run --silent build
fi
log "done"
