#!/bin/sh
# A conformance run cut into N shards, each a separate process started the way the Kubernetes Indexed
# Job starts its pods (deploy/shard-entry.sh with JOB_COMPLETION_INDEX = 0..N-1), then merged:
#
#   deploy/run-shards.sh N OUT [mcsec run options...]
#
# OUT/shard-K/ holds each shard's run, OUT/merged/ the merged results and reports. Exit status: the
# merge's (0 all pass, 1 a failure, 3 inconclusive), or 2 when a shard could not run.
set -eu
if [ "$#" -lt 2 ]; then
  echo "usage: deploy/run-shards.sh N OUT [mcsec run options...]" >&2; exit 2
fi
n="$1"; out="$2"; shift 2
case "$n" in ''|*[!0-9]*|0) echo "run-shards: N must be a positive number" >&2; exit 2 ;; esac
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
pids=""
i=0
while [ "$i" -lt "$n" ]; do
  JOB_COMPLETION_INDEX="$i" SHARDS="$n" RESULTS_DIR="$out" sh "$here/shard-entry.sh" "$@" \
    > "$out/shard-$((i + 1)).log" 2>&1 &
  pids="$pids $!"
  i=$((i + 1))
done
broken=0
for pid in $pids; do
  status=0; wait "$pid" || status=$?
  # 0 pass, 1 fail, 3 inconclusive: the shard ran; anything else: it did not
  case "$status" in 0|1|3) ;; *) broken=1 ;; esac
done
if [ "$broken" -ne 0 ]; then
  echo "run-shards: a shard could not run; see $out/shard-*.log" >&2; exit 2
fi
set --
i=1
while [ "$i" -le "$n" ]; do set -- "$@" "$out/shard-$i/results.json"; i=$((i + 1)); done
exec ${MCSEC:-mcsec} report merge "$@" --out "$out/merged"
