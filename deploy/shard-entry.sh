#!/bin/sh
# One shard of a conformance run, the way a Kubernetes Indexed Job runs it: the job's completion index
# (JOB_COMPLETION_INDEX, 0-based) picks the shard K of SHARDS. The results go to
# RESULTS_DIR/shard-K; `mcsec report merge RESULTS_DIR/shard-*/results.json --out DIR` joins them.
# Further arguments go to `mcsec run` (--sut PROFILE, --requirement ID, ...).
set -eu
: "${JOB_COMPLETION_INDEX:?JOB_COMPLETION_INDEX is not set (the index of this shard, from 0)}"
: "${SHARDS:?SHARDS is not set (how many shards the run is cut into)}"
RESULTS_DIR="${RESULTS_DIR:-results}"
MCSEC="${MCSEC:-mcsec}"
case "$JOB_COMPLETION_INDEX$SHARDS" in
  *[!0-9]*) echo "shard-entry: JOB_COMPLETION_INDEX and SHARDS must be numbers" >&2; exit 2 ;;
esac
k=$((JOB_COMPLETION_INDEX + 1))
if [ "$k" -gt "$SHARDS" ]; then
  echo "shard-entry: index $JOB_COMPLETION_INDEX is past the last of $SHARDS shards" >&2; exit 2
fi
# Each shard's run has a lab of its own; --jobs 1: the shards themselves are the parallelism.
exec $MCSEC run --shard "$k/$SHARDS" --jobs 1 --out "$RESULTS_DIR/shard-$k" "$@"
