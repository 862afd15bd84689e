package org.versatune.pipeline.lm;

import org.apache.spark.sql.SparkSession;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

/**
 * Threads ND4J (its elementwise ops), the matrix products and the Java row kernels use in this JVM: the one place
 * the project sets them. Every model task (training, scoring, generation) sets them to the cores it owns: all of
 * them when it runs alone, one when two tasks share two cores (more threads than cores make OpenMP and the JVM
 * fight, measured 3-4x slower on 2 cores). The count comes from {@code versatune.lm.train.threads-per-task}
 * (0 = automatic); no environment variable is needed.
 *
 * <p>BLAS itself always runs on one thread on the CPU backend: multi-threaded OpenBLAS cuts a product's columns at
 * places that depend on its thread count, and its Haswell/Zen kernels sum the inner dimension in one or in two
 * interleaved partial sums depending on the width they get, so products changed in their last bits with the
 * threads. {@link #gemm} spreads fixed tiles of the product over the threads instead.
 */
public final class NdThreads {
    /** The session's configured threads per task, carried to every stage by the session (see Sessions). */
    public static final String SPARK_KEY = "spark.versatune.threads-per-task";
    /**
     * Tiles of C per product in {@link #gemm}: a constant, not the thread count, so the tiles and with them the values
     * are the same whatever the threads. Each tile packs the operand it shares with the others again, so a few large
     * tiles beat many small ones; 4 keep 2 or 4 threads evenly busy (measured: bench/lm.md, "Threads").
     */
    static final int GEMM_TILES = 4;
    /** No tile is thinner than this (rows or columns): below it BLAS loses its speed. */
    static final int GEMM_MIN_TILE = 32;
    private static final Logger LOG = LoggerFactory.getLogger(NdThreads.class);
    private static final boolean CPU = Nd4j.getEnvironment().isCPU();
    private static volatile int current = -1;

    static {
        // before the first product, whether or not a task has set its threads
        if (CPU) {
            Nd4j.factory().blas().setMaxThreads(1);
        }
    }

    private NdThreads() {
    }

    public static synchronized void use(int threads) {
        int n = Math.max(1, threads);
        if (n == current) {
            return;
        }
        try {
            Nd4j.getEnvironment().setMaxThreads(n);
            Nd4j.getEnvironment().setMaxMasterThreads(n);
        } catch (UnsupportedOperationException | IllegalStateException e) {
            if (Nd4j.getEnvironment().isCPU()) {
                throw new IllegalStateException("cannot set ND4J's CPU threads to " + n + ": " + e.getMessage(), e);
            }
            // device backends (CUDA) do not take CPU thread counts: said once, not silently dropped
            if (current == -1) {
                LOG.info("ND4J backend {} takes no CPU thread count ({}); the row kernels use {} threads",
                        Nd4j.getBackend().getClass().getSimpleName(), e.getMessage(), n);
            }
        }
        RowKernels.setThreads(n);
        current = n;
    }

    /**
     * C = op(A)·op(B) (beta = 0) or C += op(A)·op(B) (beta = 1), C contiguous row-major. On the CPU backend C is cut
     * into fixed tiles, each one single-threaded BLAS call, spread over the threads: the values do not depend on the
     * thread count. Tiles are blocks of C's rows; a product of fewer than 4 minimal tiles of rows (generation and
     * scoring of a few rows through a large model) is cut into blocks of columns instead, so that each tile packs
     * only its own slice of the weights rather than all of them again. Column tiles are not contiguous: BLAS reads
     * and writes them in place through the arrays' leading dimensions (no copies).
     */
    public static void gemm(INDArray a, boolean ta, INDArray b, boolean tb, INDArray c, double beta) {
        int m = (int) c.size(0);
        int n = (int) c.size(1);
        if (CPU && m >= 4 * GEMM_MIN_TILE) {
            RowKernels.parallelBlocks(m, tile(m), (k, from, to) -> Nd4j.gemm(
                    ta ? a.get(all(), interval(from, to)) : a.get(interval(from, to), all()), b,
                    c.get(interval(from, to), all()), ta, tb, 1.0, beta));
        } else if (CPU && n >= 2 * GEMM_MIN_TILE && rowMajor(a, c) && rowMajor(b, c) && rowMajor(c, c)) {
            int k = (int) (ta ? a.size(0) : a.size(1));
            long ldb = ld(b);
            RowKernels.parallelBlocks(n, tile(n), (t, from, to) -> blas(m, to - from, k, at(a, 0), ld(a), ta,
                    at(b, tb ? from * ldb : from), ldb, tb, beta, at(c, from), ld(c)));
        } else {
            Nd4j.gemm(a, b, c, ta, tb, 1.0, beta);
        }
    }

    /**
     * One single-threaded BLAS call on host memory, row-major: C[m, n] = op(A)·op(B) + beta C, A op'd to [m, k] and B
     * to [k, n], each given by its first element and leading dimension (float or double, as the pointers are).
     */
    static void blas(int m, int n, int k, Pointer a, long lda, boolean ta, Pointer b, long ldb, boolean tb, double beta,
                     Pointer c, long ldc) {
        int opA = ta ? CblasTrans : CblasNoTrans;
        int opB = tb ? CblasTrans : CblasNoTrans;
        if (c instanceof FloatPointer) {
            cblas_sgemm(CblasRowMajor, opA, opB, m, n, k, 1f, (FloatPointer) a, (int) lda, (FloatPointer) b, (int) ldb,
                    (float) beta, (FloatPointer) c, (int) ldc);
        } else {
            cblas_dgemm(CblasRowMajor, opA, opB, m, n, k, 1.0, (DoublePointer) a, (int) lda, (DoublePointer) b, (int) ldb,
                    beta, (DoublePointer) c, (int) ldc);
        }
    }

    /** A typed pointer to element {@code offset} of {@code x}'s memory (counted from x's first element). */
    static Pointer at(INDArray x, long offset) {
        Pointer p = x.data().addressPointer();   // a view's buffer starts at its first element
        return x.dataType() == DataType.DOUBLE ? new DoublePointer(p).position(offset) : new FloatPointer(p).position(offset);
    }

    /** The distance between x's rows in memory (any value of at least one row's width when x has a single row). */
    static long ld(INDArray x) {
        return x.size(0) == 1 ? Math.max(1, x.size(1)) : x.stride(0);
    }

    /** A float or double matrix (of {@code like}'s type) whose rows are contiguous: BLAS can read it in place. */
    private static boolean rowMajor(INDArray x, INDArray like) {
        return x.rank() == 2 && x.dataType() == like.dataType()
                && (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE)
                && (x.size(1) == 1 || x.stride(1) == 1) && ld(x) >= x.size(1) && ld(x) <= Integer.MAX_VALUE;
    }

    /**
     * The tile size for a dimension of C: at most {@link #GEMM_TILES} tiles of at least {@link #GEMM_MIN_TILE}, as
     * even as the size allows (no thin last tile packing a whole operand for a few rows).
     */
    static int tile(int size) {
        int tiles = Math.max(1, Math.min(GEMM_TILES, size / GEMM_MIN_TILE));
        return (size + tiles - 1) / tiles;
    }

    /** Threads for each of {@code partitions} model tasks of this session, from the session's configured count. */
    public static int perTask(SparkSession spark, int partitions) {
        return perTask(spark, Integer.parseInt(spark.conf().get(SPARK_KEY, "0")), partitions);
    }

    /**
     * {@code configured} when positive; else {@code spark.task.cpus} on a cluster, or locally the JVM's cores divided
     * among the tasks that run at once in it.
     */
    public static int perTask(SparkSession spark, int configured, int partitions) {
        boolean local = spark.sparkContext().isLocal();
        if (configured <= 0 && !local) {
            configured = Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
        }
        return forTask(configured, local ? Math.min(partitions, Runtime.getRuntime().availableProcessors()) : 1);
    }

    /**
     * Threads per task: {@code configured} when positive; else the JVM's cores divided among the tasks that run at
     * once in it ({@code concurrentTasks}).
     */
    public static int forTask(int configured, int concurrentTasks) {
        if (configured > 0) {
            return configured;
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, concurrentTasks));
    }
}
