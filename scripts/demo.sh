#!/usr/bin/env bash
# The main job: set the node up, start critterd on its embedded defaults, and show it working.
# critterd keeps running afterwards (its log is in /var/log/critter/critterd.log);
# stop it with: kill $(cat /var/lib/critter/critterd.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

mkdir -p /var/log/critter
if [ -S /run/critter/critter.sock ] && ./bin/critter version >/dev/null 2>&1; then
  echo "demo: critterd is already running"
else
  echo "demo: starting critterd (embedded defaults; log: /var/log/critter/critterd.log)"
  nohup ./bin/critterd >>/var/log/critter/critterd.log 2>&1 &
  for _ in $(seq 1 100); do
    ./bin/critter --timeout 1s version >/dev/null 2>&1 && break
    sleep 0.2
  done
fi

echo "demo: critter version"
./bin/critter version
echo "demo: critter info (conditions)"
./bin/critter info | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const i=JSON.parse(s);for(const c of i.status.conditions)console.log(`  ${c.type}: ${c.status}${c.reason?` (${c.reason})`:""}`)})'
