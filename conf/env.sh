# Environment for ND4J on small machines; sourced by the launcher, CI and benchmarks.
# Threads are not set here: every model task sets ND4J's threads itself from versatune.lm.train.threads-per-task
# (0 = automatic: the cores divided among the tasks that run at once; NdThreads).
# Spinning OpenMP workers compete with the JVM's own threads on 2 cores (measured: 3.7 s vs 0.8 s per step).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# OpenBLAS's AVX-512 kernels roughly double GEMM speed over the Haswell ones where the CPU supports them.
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
