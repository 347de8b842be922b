#!/usr/bin/env bash
# The worker's CUDA path on a GPU machine, end to end, and training speed there.
#   bash benches/bench_gpu.sh [MNIST_DIR] [OUT_DIR]
# 1. A fresh SQLite database (migrated), one user, one demo job queued as the API queues it.
# 2. `mogi worker --once` with MOGI_DEVICE=cuda claims it, trains it in a forked child on the
#    GPU and commits the result; the script prints the run's device, accuracy and time.
# 3. `mogi train architecture` (the CNN, then the MLP) on the GPU: accuracy and seconds of
#    training, the figures benches/RESULTS.md records for a GPU.
# Needs torch with CUDA and Mogi's packages importable (PYTHONPATH), and the four MNIST files.
set -euo pipefail
cd "$(dirname "$0")/.."
MNIST=${1:-../shared/mnist}
OUT=${2:-var/gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export MOGI_DATA_DIR=$(mktemp -d) MOGI_MNIST_DIR=$MNIST MOGI_MNIST_DOWNLOAD=false
export MOGI_DEVICE=cuda MOGI_LOG_LEVEL=WARNING MOGI_ENV=test PYTHONUNBUFFERED=1
export MOGI_DATABASE_URL="sqlite:///$MOGI_DATA_DIR/mogi.db"

"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
"$PY" -m app.cli migrate
"$PY" - <<'EOF'
from sqlalchemy.orm import Session

from app.db import get_engine
from app.demos import service
from app.demos.schemas import DemoCreate
from tests.factories import make_user

with Session(get_engine()) as db:
    user = make_user(db)
    job = service.create_job(db, user.id, DemoCreate(experiment="architecture", params={"model": "cnn"}))
    db.commit()
    print("queued job", job.id)
EOF
started=$(date +%s)
timeout 300 "$PY" -m app.cli worker --once
echo "worker --once took $(( $(date +%s) - started )) s (torch import, MNIST, the run)"
"$PY" - "$OUT/worker-run.json" <<'EOF'
import json, sys

from sqlalchemy.orm import Session

from app.db import get_engine
from app.demos.models import DemoJob

with Session(get_engine()) as db:
    job = db.query(DemoJob).one()
    result = job.result or {}
    summary = {
        "status": job.status, "attempt": job.attempt, "error": job.error,
        "device": result.get("device"), "device_name": result.get("device_name"),
        "torch": result.get("torch_version"), "test_accuracy": result.get("test_accuracy"),
        "train_time_s": result.get("train_time_s"),
    }
    print("worker run:", json.dumps(summary))
    json.dump(summary, open(sys.argv[1], "w"))
    assert job.status == "finished" and result.get("device", "").startswith("cuda"), summary
EOF
for model in cnn mlp; do
  "$PY" -m app.cli train architecture --set model=$model --json | tail -1 > "$OUT/train-$model.json"
  "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], {k: r.get(k) for k in ("device","device_name","test_accuracy","train_time_s","time_to_target_s")})' "$OUT/train-$model.json" $model
done
