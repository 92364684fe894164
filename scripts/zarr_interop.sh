#!/usr/bin/env bash
# Zarr interoperability check between spillway and zarr-python 3 (and dask):
#   python writes arrays -> spillway reads them; spillway writes arrays -> python reads them.
# Usage: scripts/zarr_interop.sh [WORK_DIR]   (default: a fresh temporary directory)
# Env: SPILLWAY_INTEROP_VENV  the venv to (re)use (default: target/zarr-interop-venv)
#      SPILLWAY_INTEROP_DASK  set to 0 to skip installing dask
set -euo pipefail
cd "$(dirname "$0")/.."

work="${1:-$(mktemp -d -t spillway-zarr-interop-XXXXXX)}"
venv="${SPILLWAY_INTEROP_VENV:-target/zarr-interop-venv}"
mkdir -p "$work"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
packages="zarr>=3 numpy"
if [ "${SPILLWAY_INTEROP_DASK:-1}" != 0 ]; then
    packages="$packages dask[array]"
fi
# shellcheck disable=SC2086
"$venv/bin/pip" install --quiet --disable-pip-version-check $packages

echo "== zarr-python writes into $work/from_python"
"$venv/bin/python" scripts/zarr_interop.py write "$work"
echo "== spillway reads them and writes $work/from_spillway"
SPILLWAY_ZARR_INTEROP_DIR="$work" cargo test --test zarr_interop -- --test-threads=1
echo "== zarr-python reads what spillway wrote"
"$venv/bin/python" scripts/zarr_interop.py read "$work"
