# Sourced by the bench scripts that put Debian's PyTorch beside us: installs it with what it needs to be a fair peer.
# Without libopenblas0-pthread Debian's PyTorch falls back to the reference BLAS, 25x slower (bench/lm.md); a peer
# measured that way is not a measurement. Extra Debian packages a script needs: TORCH_PEER_EXTRA="python3-regex time".
need=(python3-torch libopenblas0-pthread ${TORCH_PEER_EXTRA:-})
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian)" >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/python3 -c "import torch" || { echo "Debian's python3-torch does not import" >&2; exit 1; }
