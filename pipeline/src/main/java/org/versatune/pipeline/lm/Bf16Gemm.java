package org.versatune.pipeline.lm;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemv;

/**
 * C = A·W or C = A·W^T (beta 0 or 1) with A and C fp32 and W stored in BF16, for products of a few rows (generation):
 * W is widened a chunk at a time (256 KB of fp32 at most) into a scratch buffer of the thread's own that stays in its
 * core's cache, and each chunk is one single-threaded BLAS call. Up to {@link #VECTOR_ROWS} rows the products are
 * matrix-vector products that stream the weights, and a chunk is the longest contiguous runs of W the buffer holds:
 * whole rows of W^T; whole rows of a W of at most {@link #WIDE_OUT} columns, its inputs cut into {@link #K_PARTS}
 * ranges for the threads; else runs of at most {@link #WIDE_OUT} of each row. The hardware prefetcher then keeps up,
 * where runs of 128 to 512 values (256 bytes to 1 KB) left the products waiting on memory at half the rate or less.
 * The weights are read from memory once, in 16 bits; widening a whole block first writes it out in 32 bits and reads it
 * back, three times the traffic of a product that is bound by memory. Chunks follow from the shapes alone, each output
 * column is computed by one thread in a fixed order, so the values do not depend on the thread count.
 *
 * <p>Widening: a BF16 value is the top half of an fp32 one. Four consecutive values read as one long become two longs,
 * (v0, v1) and (v2, v3); a row segment's first longs are written, then its second ones, so both loops are plain array
 * loops the JIT vectorises. That permutes each segment: its values 4g, 4g+1 land at 2g, 2g+1 and 4g+2, 4g+3 at
 * h + 2g, h + 2g + 1 (h = half the segment's multiple of 4; a tail of 1-3 values stays in place). The permutation is
 * undone where it costs least: along W's outputs, on the chunk's few rows of C; along its inputs, by permuting A's
 * columns the same way before the products.
 */
final class Bf16Gemm {
    /** At most this many outputs (columns of C) per chunk. */
    static final int CHUNK_OUT = 512;
    /**
     * Inputs (the inner dimension) per chunk of {@link #CHUNK_OUT} outputs; narrower chunks take more, to the same
     * 256 KB. 512 x 128 was the fastest of 128 x 512, 256 x 256, 512 x 128 and 64 x 1024 on the Qwen2.5-0.5B shape at
     * 8 and at 64 rows (bench/hf-import.md); since 2026-12-08 it serves products of more than {@link #VECTOR_ROWS} rows
     * (sgemm's), for which whole-row chunks of the head were slower.
     */
    static final int CHUNK_IN = 128;
    /** At most this many outputs per chunk of W's columns in matrix-vector products ({@link #wideChunkOut}). */
    static final int WIDE_OUT = 2048;
    private static final int MAX_IN = 2048;
    /**
     * Input ranges of a matrix-vector product over a W of at most {@link #WIDE_OUT} columns: fixed by the shape, so
     * the sum's order does not depend on the threads; 4 keeps 2 or 4 threads evenly busy.
     */
    static final int K_PARTS = 4;
    /** Up to this many rows, a chunk's product is a matrix-vector product per row ({@link #product}). */
    static final int VECTOR_ROWS = 16;

    private Bf16Gemm() {
    }

    /**
     * Outputs per chunk for {@code n} outputs: at most {@link #CHUNK_OUT}, and at least 4 chunks where chunks of 64
     * allow (two threads evenly busy on a narrow matrix); a multiple of 4. Shapes alone decide it, not the threads.
     */
    static int chunkOut(int n) {
        int chunks = Math.max(1, Math.max((n + CHUNK_OUT - 1) / CHUNK_OUT, Math.min(4, n / 64)));
        return ((n + chunks - 1) / chunks + 3) & ~3;
    }

    /**
     * Outputs per chunk of W^T (W's rows are the outputs): whole rows up to {@link #MAX_IN} inputs, as many as fill the
     * scratch buffer, so that each chunk is one contiguous run of memory that the hardware prefetcher streams; at most
     * {@link #chunkOut} and a multiple of 4.
     */
    static int rowChunkOut(int n, int k) {
        return Math.max(4, Math.min(chunkOut(n), CHUNK_OUT * CHUNK_IN / even(Math.min(k, MAX_IN))) & ~3);
    }

    /**
     * Outputs per chunk of a W (W's columns are the outputs) wider than {@link #WIDE_OUT} for matrix-vector products
     * (narrower ones are read in whole rows): runs of up to {@link #WIDE_OUT}
     * values of each row, longer for the prefetcher than {@link #chunkOut}'s, in a multiple of 4 chunks (even work for
     * 2 or 4 threads); a multiple of 4.
     */
    static int wideChunkOut(int n) {
        int chunks = Math.max(4, ((n + WIDE_OUT - 1) / WIDE_OUT + 3) & ~3);
        return Math.max(4, ((n + chunks - 1) / chunks + 3) & ~3);
    }

    /** Inputs per chunk of {@code cw} outputs: the chunk fills the scratch buffer; a multiple of 4. */
    static int chunkIn(int cw) {
        return Math.max(4, Math.min(MAX_IN, CHUNK_OUT * CHUNK_IN / cw) & ~3);
    }

    /** True where this class computes the product: the CPU backend, BF16 weights, fp32 rows. */
    static boolean applies(INDArray a, INDArray w) {
        return TransformerLm.HOST_KERNELS && w.dataType() == DataType.BFLOAT16 && a.dataType() == DataType.FLOAT;
    }

    /** True when W's values lie within one NIO buffer's reach (2^31 - 1 bytes), which the widening reads through. */
    static boolean reaches(INDArray w) {
        return 2 * ((w.size(0) - 1) * NdThreads.ld(w) + w.size(1)) <= Integer.MAX_VALUE;
    }

    /** C = A·op(W) + beta C: A [m, k] fp32, W [k, n] (or [n, k] when {@code tw}) BF16 with contiguous rows, C [m, n]. */
    static void gemm(INDArray a, INDArray w, boolean tw, INDArray c, double beta) {
        int m = (int) c.size(0);
        int n = (int) c.size(1);
        int k = (int) a.size(1);
        if (a.size(0) != m || (tw ? w.size(1) : w.size(0)) != k || (tw ? w.size(0) : w.size(1)) != n) {
            throw new IllegalArgumentException("shapes " + a.shapeInfoToString() + " x " + w.shapeInfoToString() + (tw ? "^T" : "")
                    + " -> " + c.shapeInfoToString());
        }
        if (!applies(a, w) || c.dataType() != DataType.FLOAT || a.stride(1) != 1 && k > 1 || c.stride(1) != 1 && n > 1
                || w.stride(1) != 1 && w.size(1) > 1 || NdThreads.ld(a) < k || NdThreads.ld(c) < n || !reaches(w)) {
            throw new IllegalArgumentException("BF16 product needs row-major fp32 A and C and BF16 W within 2 GB, got "
                    + a.shapeInfoToString() + ", " + w.shapeInfoToString() + ", " + c.shapeInfoToString());
        }
        if (beta != 0 && beta != 1) {
            throw new IllegalArgumentException("beta is 0 or 1, not " + beta);
        }
        if (m > Scratch.MAX_ROWS) {
            throw new IllegalArgumentException(m + " rows: BF16 chunk products take at most " + Scratch.MAX_ROWS);
        }
        Source src = new Source(w);
        // matrix-vector products (few rows) stream the weights: chunks of long contiguous runs; sgemm's (more rows)
        // keep the shape they were tuned with
        boolean vector = m <= VECTOR_ROWS;
        int cw = !vector ? chunkOut(n) : tw ? rowChunkOut(n, k) : wideChunkOut(n);
        int kcMax = vector && tw ? Math.min(k, MAX_IN) : chunkIn(cw);
        if (tw) {
            // W's rows are C's columns: a chunk is a block of rows, permuted along the inputs like A's copy
            INDArray ap = permutedColumns(a, k, kcMax);
            RowKernels.parallelBlocks(n, cw, (t, from, to) -> {
                Scratch s = Scratch.get();
                for (int k0 = 0; k0 < k; k0 += kcMax) {
                    int kc = Math.min(kcMax, k - k0);
                    int ld = even(kc);
                    for (int j = from; j < to; j++) {
                        src.widen((long) j * src.ld + k0, kc, s, (j - from) * ld);
                    }
                    product(m, to - from, kc, (FloatPointer) NdThreads.at(ap, k0), NdThreads.ld(ap), s.chunk, ld, true,
                            k0 == 0 ? beta : 1.0, (FloatPointer) NdThreads.at(c, from), NdThreads.ld(c));
                }
            });
        } else if (vector && n <= WIDE_OUT) {
            // W's columns are C's and few: a chunk is whole rows of W, one contiguous run; the inputs are cut into
            // K_PARTS fixed ranges (the threads' share of the work), whose partial products are summed in order
            int ld = even(n);
            int rowsPer = Scratch.FLOATS / ld;
            FloatPointer parts = Scratch.get().parts((long) K_PARTS * m * ld);
            RowKernels.parallelBlocks(K_PARTS, 1, (p, x, y) -> {
                Scratch s = Scratch.get();
                int k0 = (int) ((long) k * p / K_PARTS);
                int k1 = (int) ((long) k * (p + 1) / K_PARTS);
                FloatPointer out = new FloatPointer(parts).position((long) p * m * ld);
                for (int r0 = k0; r0 < k1; r0 += rowsPer) {
                    int kc = Math.min(rowsPer, k1 - r0);
                    for (int i = 0; i < kc; i++) {
                        src.widen((long) (r0 + i) * src.ld, n, s, i * ld);
                    }
                    product(m, n, kc, (FloatPointer) NdThreads.at(a, r0), NdThreads.ld(a), s.chunk, ld, false,
                            r0 == k0 ? 0.0 : 1.0, out, ld);
                }
            });
            sumParts(c, parts, m, n, k, ld, beta != 0);
        } else {
            // W's columns are C's: a chunk is a block of columns, computed permuted into scratch and put back in place
            RowKernels.parallelBlocks(n, cw, (t, from, to) -> {
                Scratch s = Scratch.get();
                int width = to - from;
                int ld = even(width);
                for (int k0 = 0; k0 < k; k0 += kcMax) {
                    int kc = Math.min(kcMax, k - k0);
                    for (int i = 0; i < kc; i++) {
                        src.widen((long) (k0 + i) * src.ld + from, width, s, i * ld);
                    }
                    product(m, width, kc, (FloatPointer) NdThreads.at(a, k0), NdThreads.ld(a), s.chunk, ld, false,
                            k0 == 0 ? 0.0 : 1.0, s.out, ld);
                }
                s.unpermuteInto(c, m, from, width, ld, beta != 0);
            });
        }
    }

    /**
     * C[m, n] = A[m, k]·op(B) + beta C on one cached chunk B ([k, n], or [n, k] when {@code tb}): one matrix-vector
     * product per row for up to {@link #VECTOR_ROWS} rows, else one matrix product: OpenBLAS's sgemm packs B again
     * for every call and is built for wider blocks of rows; at 8 rows it cost about twice 8 sgemv calls on the same
     * cached chunk, at 64 rows less than 64 (bench/hf-import.md).
     */
    private static void product(int m, int n, int k, FloatPointer a, long lda, FloatPointer b, long ldb, boolean tb,
                                double beta, FloatPointer c, long ldc) {
        if (m > VECTOR_ROWS) {
            NdThreads.blas(m, n, k, a, lda, false, b, ldb, tb, beta, c, ldc);
            return;
        }
        // the pointers belong to this call's thread: their positions move row by row and are put back
        long a0 = a.position();
        long c0 = c.position();
        for (int r = 0; r < m; r++) {
            a.position(a0 + r * lda);
            c.position(c0 + r * ldc);
            if (tb) {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1f, b, (int) ldb, a, 1, (float) beta, c, 1);
            } else {
                cblas_sgemv(CblasRowMajor, CblasTrans, k, n, 1f, b, (int) ldb, a, 1, (float) beta, c, 1);
            }
        }
        a.position(a0);
        c.position(c0);
    }

    /** C = (C +) the K_PARTS partial products (permuted columns, ld floats a row; none for an empty range), in order. */
    private static void sumParts(INDArray c, FloatPointer parts, int m, int n, int k, int ld, boolean add) {
        long ldc = NdThreads.ld(c);
        FloatBuffer cb = buffer(c, (m - 1) * ldc + c.size(1));
        FloatBuffer pb = new FloatPointer(parts).capacity((long) K_PARTS * m * ld).asBuffer();   // the cached buffer keeps its size
        float[] row = new float[n];
        float[] sum = new float[n];
        for (int r = 0; r < m; r++) {
            int at = (int) (r * ldc);
            if (add) {
                cb.get(at, sum, 0, n);
            } else {
                Arrays.fill(sum, 0f);
            }
            for (int p = 0; p < K_PARTS; p++) {
                if ((long) k * p / K_PARTS == (long) k * (p + 1) / K_PARTS) {
                    continue;
                }
                pb.get((p * m + r) * ld, row, 0, n);
                for (int x = 0; x < n; x++) {
                    sum[x] += row[permuted(x, n)];
                }
            }
            cb.put(at, sum, 0, n);
        }
    }

    private static int even(int x) {
        return x + (x & 1);
    }

    /** Where value {@code x} of a widened segment of {@code len} values lands. */
    static int permuted(int x, int len) {
        int quads = len / 4;
        if (x >= 4 * quads) {
            return x;
        }
        int g = x / 4;
        int r = x % 4;
        return r < 2 ? 2 * g + r : 2 * quads + 2 * g + r - 2;
    }

    /** A's columns permuted per input chunk as the widened segments of W's rows are. */
    private static INDArray permutedColumns(INDArray a, int k, int kcMax) {
        int m = (int) a.size(0);
        float[] row = new float[k];
        float[] out = new float[k];
        INDArray ap = Nd4j.createUninitialized(DataType.FLOAT, m, k);
        FloatBuffer from = buffer(a, (long) (m - 1) * NdThreads.ld(a) + k);
        FloatBuffer to = buffer(ap, (long) m * k);
        for (int r = 0; r < m; r++) {
            from.get((int) (r * NdThreads.ld(a)), row, 0, k);
            for (int k0 = 0; k0 < k; k0 += kcMax) {
                int kc = Math.min(kcMax, k - k0);
                for (int x = 0; x < kc; x++) {
                    out[k0 + permuted(x, kc)] = row[k0 + x];
                }
            }
            to.put(r * k, out, 0, k);
        }
        return ap;
    }

    private static FloatBuffer buffer(INDArray x, long floats) {
        return new FloatPointer(x.data().addressPointer()).capacity(floats).asBuffer();
    }

    /** W's BF16 values as longs at each of the four alignments, and as shorts for segment tails. */
    private static final class Source {
        final long ld;
        final LongBuffer[] longs = new LongBuffer[4];
        final ShortBuffer shorts;

        Source(INDArray w) {
            ld = NdThreads.ld(w);
            long values = (w.size(0) - 1) * ld + w.size(1);
            Pointer p = w.data().addressPointer();   // a view's buffer starts at its first element
            shorts = new BytePointer(p).capacity(2 * values).asByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer();
            for (int v = 0; v < 4; v++) {
                // view v starts at value v, so value e begins long (e - v) / 4 of view e % 4
                longs[v] = new BytePointer(p).position(2L * v).capacity(2 * values).asByteBuffer().order(ByteOrder.nativeOrder())
                        .asLongBuffer();
            }
        }

        /** Widens values [e, e + len) into the scratch chunk at float {@code at} (even), permuted as described above. */
        void widen(long e, int len, Scratch s, int at) {
            int quads = len / 4;
            int v = (int) (e & 3);
            longs[v].get((int) ((e - v) / 4), s.in, 0, quads);
            long[] in = s.in;
            long[] lo = s.lo;
            long[] hi = s.hi;
            for (int x = 0; x < quads; x++) {
                lo[x] = ((in[x] << 16) & 0xFFFF0000L) | ((in[x] << 32) & 0xFFFF000000000000L);
            }
            for (int x = 0; x < quads; x++) {
                hi[x] = ((in[x] >>> 16) & 0xFFFF0000L) | (in[x] & 0xFFFF000000000000L);
            }
            s.chunkLongs.put(at / 2, lo, 0, quads);
            s.chunkLongs.put(at / 2 + quads, hi, 0, quads);
            for (int x = 4 * quads; x < len; x++) {
                s.chunkFloats.put(at + x, Float.intBitsToFloat(shorts.get((int) (e + x)) << 16));
            }
        }
    }

    /** A thread's buffers: one widened chunk, the permuted products of a chunk of columns, the widening's arrays. */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> MINE = ThreadLocal.withInitial(Scratch::new);
        static final int FLOATS = CHUNK_OUT * CHUNK_IN;
        static final int MAX_ROWS = 4 * NdThreads.GEMM_MIN_TILE;   // more rows than this take the row tiles

        final FloatPointer chunk = new FloatPointer(FLOATS);
        final FloatBuffer chunkFloats = chunk.capacity(FLOATS).asBuffer();
        final LongBuffer chunkLongs = new LongPointer(chunk).capacity(FLOATS / 2).asBuffer();
        final FloatPointer out = new FloatPointer((long) MAX_ROWS * CHUNK_OUT);
        final FloatBuffer outFloats = out.capacity((long) MAX_ROWS * CHUNK_OUT).asBuffer();
        final long[] in = new long[Math.max(WIDE_OUT, MAX_IN) / 4];
        final long[] lo = new long[in.length];
        final long[] hi = new long[in.length];
        final float[] row = new float[WIDE_OUT];
        final float[] back = new float[WIDE_OUT];

        private FloatPointer parts;

        static Scratch get() {
            return MINE.get();
        }

        /** The calling thread's buffer of partial products, at least {@code floats} long (grown as needed). */
        FloatPointer parts(long floats) {
            if (parts == null || parts.capacity() < floats) {
                parts = new FloatPointer(floats);
            }
            return parts;
        }

        /** C[:, from, from + width) = (or +=) the permuted products in {@link #out}. */
        void unpermuteInto(INDArray c, int m, int from, int width, int ld, boolean add) {
            long ldc = NdThreads.ld(c);
            FloatBuffer cb = buffer(c, (m - 1) * ldc + c.size(1));
            for (int r = 0; r < m; r++) {
                outFloats.get(r * ld, row, 0, width);
                int at = (int) (r * ldc + from);
                if (add) {
                    cb.get(at, back, 0, width);
                } else {
                    Arrays.fill(back, 0, width, 0f);
                }
                for (int x = 0; x < width; x++) {
                    back[x] += row[permuted(x, width)];
                }
                cb.put(at, back, 0, width);
            }
        }
    }
}
