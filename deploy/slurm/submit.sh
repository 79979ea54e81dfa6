#!/bin/bash
# Submits the sharded ensemble (ensemble.sbatch, a job array) and its merge (merge.sbatch, run
# after every array task succeeded). Run from the repository's root; extra arguments go to the
# array's sbatch, e.g. `deploy/slurm/submit.sh --array=0-15 --partition=cpu`.
set -euo pipefail
here=$(dirname "$0")
array=$(sbatch --parsable "$@" "$here/ensemble.sbatch")
array=${array%%;*} # --parsable prints "id" or "id;cluster"
merge=$(sbatch --parsable --dependency=afterok:"$array" "$here/merge.sbatch")
echo "submitted array job ${array} and merge job ${merge%%;*}"
