# Sourced by the bench scripts that put Debian's PyTorch beside us: installs it with what it needs to be a fair peer.
# Without libopenblas0-pthread Debian's PyTorch falls back to the reference BLAS, 25x slower (bench/lm.md); a peer
# measured that way is not a measurement. Extra Debian packages a script needs: TORCH_PEER_EXTRA="python3-regex time".
torch_peer_missing=()
for torch_peer_p in python3-torch libopenblas0-pthread ${TORCH_PEER_EXTRA:-}; do
  # installed, not merely known (a removed package keeps its configuration files and a dpkg record)
  [ "$(dpkg-query -W -f='${Status}' "$torch_peer_p" 2>/dev/null)" = "install ok installed" ] || torch_peer_missing+=("$torch_peer_p")
done
if [ ${#torch_peer_missing[@]} -gt 0 ]; then
  echo "installing ${torch_peer_missing[*]} (Debian)" >&2
  apt-get install -y -qq "${torch_peer_missing[@]}" >/dev/null
fi
unset torch_peer_missing torch_peer_p
/usr/bin/python3 -c "import torch" || { echo "Debian's python3-torch does not import" >&2; exit 1; }
