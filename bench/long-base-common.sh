# Shared by bench/long-base.sh and bench/long-base-point.sh (design: bench/long-base.md): the run's mix, token
# budget, configuration and work folder. Set `variant` before sourcing: empty for the recipe's shape, "wide" for
# bench/wide-base.conf on top of it.
mix="law=0.08,medicine=0.28,finance=0.22,science=0.14,code=0.19,general=0.09"
tokens=60000000
case "${variant:-}" in
  "") name=long-base; confs=(--conf conf/base.conf) ;;
  wide) name=wide-base; confs=(--conf conf/base.conf --conf bench/wide-base.conf) ;;
  *) echo "unknown variant '$variant' (known: wide)" >&2; exit 2 ;;
esac
work="bench/work/$name"
