#!/usr/bin/env bash
# The main job: set the node up, start critterd on its embedded defaults, and run a demo pod:
# busybox's httpd, pulled from a registry on 127.0.0.1, on the default CNI network, with a host
# port. critterd and the pod keep running afterwards:
#   bin/critter pods; bin/critter ps; bin/critter stats; curl http://<pod IP>:8080/
#   clean up: bin/critter stopp <pod>; bin/critter rmp <pod>; kill $(cat /var/lib/critter/critterd.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

CRITTER=./bin/critter
DEMO_DIR=/var/lib/critter-demo
REGISTRY=127.0.0.1:5000
mkdir -p /var/log/critter "$DEMO_DIR"

if "$CRITTER" --timeout 1s version >/dev/null 2>&1; then
  echo "demo: critterd is already running"
else
  echo "demo: starting critterd (embedded defaults; log: /var/log/critter/critterd.log)"
  nohup ./bin/critterd >>/var/log/critter/critterd.log 2>&1 &
  for _ in $(seq 1 100); do
    "$CRITTER" --timeout 1s version >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
"$CRITTER" version

# A local registry for the demo image (the machine has no other registry to pull from).
if ! curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1; then
  echo "demo: starting docker-registry on $REGISTRY (storage: $DEMO_DIR/registry)"
  cat >"$DEMO_DIR/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $DEMO_DIR/registry } }
http: { addr: $REGISTRY }
YML
  nohup docker-registry serve "$DEMO_DIR/registry.yml" >>/var/log/critter/demo-registry.log 2>&1 &
  for _ in $(seq 1 50); do curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
fi
# critter reaches a registry over plain http only where a hosts.toml says so.
mkdir -p "/etc/critter/certs.d/$REGISTRY"
printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$REGISTRY" "$REGISTRY" \
  >"/etc/critter/certs.d/$REGISTRY/hosts.toml"
node --import tsx scripts/demo/push-image.ts "http://$REGISTRY" demo/web:1 >/dev/null
IMAGE="$REGISTRY/demo/web:1"

echo "demo: critter pull $IMAGE"
"$CRITTER" pull "$IMAGE"

echo "demo: running the demo pod"
for old in $("$CRITTER" pods -q --name demo 2>/dev/null); do "$CRITTER" stopp "$old" >/dev/null; "$CRITTER" rmp "$old" >/dev/null; done
rm -rf /var/log/critter/pods/demo  # the kubelet removes a pod's logs with it; so does the demo
POD=$("$CRITTER" runp scripts/demo/pod.json)
cat >"$DEMO_DIR/container.json" <<JSON
{ "metadata": { "name": "web" }, "image": { "image": "$IMAGE" }, "log_path": "web/0.log", "linux": {} }
JSON
CTR=$("$CRITTER" create "$POD" "$DEMO_DIR/container.json" scripts/demo/pod.json)
"$CRITTER" start "$CTR" >/dev/null
"$CRITTER" pods
"$CRITTER" ps

IP=$("$CRITTER" inspectp "$POD" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).status.network.ip))')
echo "demo: the pod's IP is $IP; fetching http://$IP:8080/"
for _ in $(seq 1 25); do curl -fsS "http://$IP:8080/" && break; sleep 0.2; done
echo "demo: from inside the container:"
"$CRITTER" exec "$CTR" wget -qO- http://127.0.0.1:8080/
echo "demo: container log:"
"$CRITTER" logs "$CTR"
