package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Fused per-row kernels (LayerNorm forward and backward) and the gradient's sum of squares in plain Java. Each
 * ND4J elementwise op is one full pass over memory and LayerNorm takes about ten of them; here each row is read
 * once into L1-sized scratch, processed, and written once. Arrays must be contiguous row-major, float or double
 * (the double path serves the gradient checks).
 *
 * <p>Results do not depend on the thread count: work is cut into fixed blocks ({@link #BLOCK_ROWS} rows,
 * {@link #BLOCK_VALUES} values), every sum across blocks is added in block order, and threads only decide who
 * computes a block. So a run resumed in another process, with other cores or under other load, continues bit
 * for bit (ND4J's own full reductions split by the threads free at the moment, which is why the gradient norm
 * is not taken with {@code norm2}).
 */
final class RowKernels {
    private static volatile int THREADS = threadCount();

    private RowKernels() {
    }

    /** True on ND4J's CPU backend, whose arrays live in host memory the kernels can read and write directly. */
    static boolean hostMemoryBackend() {
        String backend = Nd4j.getBackend().getClass().getName();
        return backend.contains("CpuBackend") || backend.contains("nativecpu");
    }

    static int threads() {
        return THREADS;
    }

    static void setThreads(int n) {
        THREADS = Math.max(1, n);
    }

    private static int threadCount() {
        String omp = System.getenv("OMP_NUM_THREADS");
        try {
            return Math.max(1, omp == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(omp.trim()));
        } catch (NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** Row access to a contiguous [rows, d] array as doubles. */
    private static final class Rows {
        final FloatBuffer f;
        final DoubleBuffer dbl;
        final int off;
        final int d;

        Rows(INDArray a) {
            if (a.ordering() != 'c' || a.elementWiseStride() != 1) {
                throw new IllegalArgumentException("kernel needs contiguous row-major arrays, got " + a.shapeInfoToString());
            }
            off = (int) a.offset();
            d = (int) a.size(1);
            if (a.dataType() == DataType.FLOAT) {
                f = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
                dbl = null;
            } else if (a.dataType() == DataType.DOUBLE) {
                dbl = a.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
                f = null;
            } else {
                throw new IllegalArgumentException("kernel needs float or double arrays, got " + a.dataType());
            }
        }

        void get(int r, double[] dst, float[] tmp) {
            int at = off + r * d;
            if (f != null) {
                f.get(at, tmp, 0, d);
                for (int j = 0; j < d; j++) {
                    dst[j] = tmp[j];
                }
            } else {
                dbl.get(at, dst, 0, d);
            }
        }

        void put(int r, double[] src, float[] tmp) {
            int at = off + r * d;
            if (f != null) {
                for (int j = 0; j < d; j++) {
                    tmp[j] = (float) src[j];
                }
                f.put(at, tmp, 0, d);
            } else {
                dbl.put(at, src, 0, d);
            }
        }

        double getScalar(int r) {
            return f != null ? f.get(off + r) : dbl.get(off + r);
        }

        /** The i-th value of a one-row array. */
        double at(int i) {
            return f != null ? f.get(off + i) : dbl.get(off + i);
        }

        void putScalar(int r, double v) {
            if (f != null) {
                f.put(off + r, (float) v);
            } else {
                dbl.put(off + r, v);
            }
        }
    }

    /** Rows per block of the row kernels. */
    static final int BLOCK_ROWS = 64;
    /** Values per block of the sum of squares. */
    static final int BLOCK_VALUES = 1 << 16;

    interface Block {
        void run(int block, int from, int to);
    }

    /** Runs {@code body} on blocks [0, size) of {@code blockSize}, spread over {@link #threads()} threads. */
    static void parallelBlocks(int size, int blockSize, Block body) {
        int blocks = blocks(size, blockSize);
        IntStream range = IntStream.range(0, blocks);
        (THREADS > 1 && blocks > 1 ? range.parallel() : range).forEach(k ->
                body.run(k, k * blockSize, (int) Math.min(size, (long) (k + 1) * blockSize)));
    }

    private static int blocks(int size, int blockSize) {
        return Math.max(1, (size + blockSize - 1) / blockSize);
    }

    /**
     * RMSNorm of each row of x [rows, d]: rstd = 1 / sqrt(mean(x^2) + eps), xhat = x rstd, out = xhat gain; the mean
     * summed in double (fp32 or fp64 arrays, contiguous). One pass per row instead of six ND4J ops over the array.
     */
    static void rmsNorm(INDArray x, INDArray gain, INDArray xhat, INDArray rstd, INDArray out, double eps) {
        Rows in = new Rows(x);
        Rows xh = new Rows(xhat);
        Rows o = new Rows(out);
        Rows rs = new Rows(rstd.reshape(rstd.length(), 1));
        int d = in.d;
        double[] g = gain.toDoubleVector();
        parallelBlocks((int) x.size(0), BLOCK_ROWS, (block, from, to) -> {
            double[] row = new double[d];
            double[] hat = new double[d];
            double[] res = new double[d];
            float[] tmp = new float[d];
            for (int r = from; r < to; r++) {
                in.get(r, row, tmp);
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int j = 0;
                for (; j + 3 < d; j += 4) {
                    s0 += row[j] * row[j];
                    s1 += row[j + 1] * row[j + 1];
                    s2 += row[j + 2] * row[j + 2];
                    s3 += row[j + 3] * row[j + 3];
                }
                for (; j < d; j++) {
                    s0 += row[j] * row[j];
                }
                double inv = 1.0 / Math.sqrt((s0 + s1 + s2 + s3) / d + eps);
                for (j = 0; j < d; j++) {
                    hat[j] = row[j] * inv;
                    res[j] = hat[j] * g[j];
                }
                xh.put(r, hat, tmp);
                o.put(r, res, tmp);
                rs.putScalar(r, inv);
            }
        });
    }

    /** Columns per block of {@link #swiglu}: enough work per task for the pool, several blocks for the threads. */
    static final int SWIGLU_COLUMNS = 512;

    /**
     * out = silu(gate) up for each row of u [rows, 2h] (gate its first h columns, up the rest; fp32, contiguous), in
     * the order and precision of the ND4J ops it replaces: (sigmoid(gate) gate) up, each step rounded to fp32. Columns
     * are spread over the threads in fixed blocks (a few rows are too little work to split by row); four ND4J ops on
     * strided views and an allocation, on one thread, before.
     */
    static void swiglu(INDArray u, INDArray out, int h) {
        Rows in = new Rows(u);
        Rows o = new Rows(out);
        if (in.f == null || o.f == null || in.d != 2 * h || o.d != h || u.size(0) != out.size(0)) {
            throw new IllegalArgumentException("swiglu needs fp32 u [rows, 2h] and out [rows, h], h = " + h + ", got "
                    + u.shapeInfoToString() + " and " + out.shapeInfoToString());
        }
        int rows = (int) u.size(0);
        parallelBlocks(h, SWIGLU_COLUMNS, (block, from, to) -> {
            int w = to - from;
            float[] gate = new float[w];
            float[] up = new float[w];
            for (int r = 0; r < rows; r++) {
                in.f.get(in.off + r * in.d + from, gate, 0, w);
                in.f.get(in.off + r * in.d + h + from, up, 0, w);
                for (int j = 0; j < w; j++) {
                    float g = gate[j];
                    float sig = 1f / (1f + (float) Math.exp(-g));
                    gate[j] = sig * g * up[j];
                }
                o.f.put(o.off + r * o.d + from, gate, 0, w);
            }
        });
    }

    /**
     * Attention of one new position for every row: query head h of {@code qkv} [rows, (heads + 2 kv) dh] (fp32,
     * contiguous) against key/value head h / (heads / kv) of the caches [rows, kv, positions, dh] at positions 0..pos:
     * softmax(q k^T scale) v into {@code att} [rows, heads dh]. Rows are spread over the threads; each row is computed
     * by one thread in a fixed order. Replaces about ten ND4J ops per key/value head and layer.
     */
    static void attendStep(INDArray qkv, INDArray keys, INDArray values, INDArray att, int heads, int kv, int dh, int pos,
                           double scale) {
        Rows q = new Rows(qkv);
        Rows out = new Rows(att);
        FloatBuffer kb = floats(keys);
        FloatBuffer vb = floats(values);
        int positions = (int) keys.size(2);
        int group = heads / kv;
        int n = pos + 1;
        parallelBlocks((int) qkv.size(0), 1, (block, from, to) -> {
            AttendScratch sc = AttendScratch.MINE.get().fit(q.d, out.d, n * dh, dh);
            float[] qRow = sc.q;
            float[] oRow = sc.out;
            float[] k = sc.k;
            float[] v = sc.v;
            double[] p = sc.p;
            double[] acc = sc.acc;
            for (int r = from; r < to; r++) {
                q.f.get(q.off + r * q.d, qRow, 0, q.d);
                for (int j = 0; j < kv; j++) {
                    int base = (r * kv + j) * positions * dh;
                    kb.get(base, k, 0, n * dh);
                    vb.get(base, v, 0, n * dh);
                    for (int g = 0; g < group; g++) {
                        int h = j * group + g;
                        int qa = h * dh;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int t = 0; t < n; t++) {
                            float dot = 0;
                            for (int i = 0; i < dh; i++) {
                                dot += qRow[qa + i] * k[t * dh + i];
                            }
                            p[t] = dot * scale;
                            max = Math.max(max, p[t]);
                        }
                        double sum = 0;
                        for (int t = 0; t < n; t++) {
                            p[t] = Math.exp(p[t] - max);
                            sum += p[t];
                        }
                        Arrays.fill(acc, 0, dh, 0.0);
                        for (int t = 0; t < n; t++) {
                            double pt = p[t];
                            int vt = t * dh;
                            for (int i = 0; i < dh; i++) {
                                acc[i] += pt * v[vt + i];
                            }
                        }
                        for (int i = 0; i < dh; i++) {
                            oRow[qa + i] = (float) (acc[i] / sum);
                        }
                    }
                }
                out.f.put(out.off + r * out.d, oRow, 0, out.d);
            }
        });
    }

    /** A thread's arrays for {@link #attendStep}, grown as positions accumulate, not allocated per row and layer. */
    private static final class AttendScratch {
        static final ThreadLocal<AttendScratch> MINE = ThreadLocal.withInitial(AttendScratch::new);
        float[] q = new float[0];
        float[] out = new float[0];
        float[] k = new float[0];
        float[] v = new float[0];
        double[] p = new double[0];
        double[] acc = new double[0];

        AttendScratch fit(int qWidth, int outWidth, int keyValues, int dh) {
            if (q.length < qWidth) {
                q = new float[qWidth];
            }
            if (out.length < outWidth) {
                out = new float[outWidth];
            }
            if (k.length < keyValues) {
                k = new float[keyValues];
                v = new float[keyValues];
            }
            if (p.length < keyValues / dh) {
                p = new double[keyValues / dh];
            }
            if (acc.length < dh) {
                acc = new double[dh];
            }
            return this;
        }
    }

    /** A whole fp32 array's values (not a view). */
    private static FloatBuffer floats(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.isView() || a.ordering() != 'c') {
            throw new IllegalArgumentException("kernel needs a whole contiguous fp32 array, got " + a.shapeInfoToString());
        }
        return a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Rotary embedding of one position for every row of {@code qkv} [rows, width] (fp32, contiguous), in place: the
     * first {@code heads} heads of {@code dh} values, each (x1, x2) halves -> (x1 cos - x2 sin, x2 cos + x1 sin), the
     * same fp32 operations, in the same order, as {@code TransformerLm.rope}.
     */
    static void rope(INDArray qkv, float[] cos, float[] sin, int heads, int dh) {
        Rows r = new Rows(qkv);
        int half = dh / 2;
        float[] row = new float[r.d];
        for (int i = 0; i < qkv.size(0); i++) {
            int at = r.off + i * r.d;
            r.f.get(at, row, 0, r.d);
            for (int h = 0; h < heads; h++) {
                int b = h * dh;
                for (int j = 0; j < half; j++) {
                    float x1 = row[b + j];
                    float x2 = row[b + half + j];
                    row[b + j] = x1 * cos[j] - x2 * sin[j];
                    row[b + half + j] = x2 * cos[j] + x1 * sin[j];
                }
            }
            r.f.put(at, row, 0, r.d);
        }
    }

    /** Sum of squares of a contiguous float or double vector, in double precision, independent of threads. */
    static double sumOfSquares(INDArray v) {
        Rows r = new Rows(v.reshape(1, v.length()));
        int n = (int) v.length();
        double[] partial = new double[blocks(n, BLOCK_VALUES)];
        parallelBlocks(n, BLOCK_VALUES, (k, from, to) -> {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = from;
            for (; i + 3 < to; i += 4) {
                double a = r.at(i), b = r.at(i + 1), c = r.at(i + 2), e = r.at(i + 3);
                s0 += a * a;
                s1 += b * b;
                s2 += c * c;
                s3 += e * e;
            }
            for (; i < to; i++) {
                double a = r.at(i);
                s0 += a * a;
            }
            partial[k] = (s0 + s1) + (s2 + s3);
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }

    /** xhat = (x - mean) / sqrt(var + eps), out = xhat * gain + bias, rstd = 1 / sqrt(var + eps); per row. */
    static void layerNorm(INDArray x, INDArray gain, INDArray bias, INDArray xhat, INDArray rstd, INDArray out, double eps) {
        Rows in = new Rows(x);
        Rows xh = new Rows(xhat);
        Rows o = new Rows(out);
        Rows rs = new Rows(rstd.reshape(rstd.length(), 1));
        int rows = (int) x.size(0);
        int d = in.d;
        double[] g = gain.toDoubleVector();
        double[] b = bias.toDoubleVector();
        parallelBlocks(rows, BLOCK_ROWS, (block, from, to) -> {
            double[] row = new double[d];
            double[] hat = new double[d];
            double[] res = new double[d];
            float[] tmp = new float[d];
            for (int r = from; r < to; r++) {
                in.get(r, row, tmp);
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int j = 0;
                for (; j + 3 < d; j += 4) {
                    s0 += row[j];
                    s1 += row[j + 1];
                    s2 += row[j + 2];
                    s3 += row[j + 3];
                }
                for (; j < d; j++) {
                    s0 += row[j];
                }
                double mean = (s0 + s1 + s2 + s3) / d;
                double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
                j = 0;
                for (; j + 3 < d; j += 4) {
                    double c0 = row[j] - mean, c1 = row[j + 1] - mean, c2 = row[j + 2] - mean, c3 = row[j + 3] - mean;
                    v0 += c0 * c0;
                    v1 += c1 * c1;
                    v2 += c2 * c2;
                    v3 += c3 * c3;
                }
                for (; j < d; j++) {
                    double c = row[j] - mean;
                    v0 += c * c;
                }
                double inv = 1.0 / Math.sqrt((v0 + v1 + v2 + v3) / d + eps);
                for (j = 0; j < d; j++) {
                    double h = (row[j] - mean) * inv;
                    hat[j] = h;
                    res[j] = h * g[j] + b[j];
                }
                xh.put(r, hat, tmp);
                o.put(r, res, tmp);
                rs.putScalar(r, inv);
            }
        });
    }

    /** dxAcc += LayerNorm backward of dOut; gGain += sum_rows(dOut * xhat); gBias += sum_rows(dOut). */
    static void layerNormBackward(INDArray dOut, INDArray xhat, INDArray rstd, INDArray gain,
                                  INDArray gGain, INDArray gBias, INDArray dxAcc) {
        Rows dy = new Rows(dOut);
        Rows xh = new Rows(xhat);
        Rows acc = new Rows(dxAcc);
        Rows rs = new Rows(rstd.reshape(rstd.length(), 1));
        int rows = (int) dOut.size(0);
        int d = dy.d;
        double[] g = gain.toDoubleVector();
        int blocks = blocks(rows, BLOCK_ROWS);
        double[][] dg = new double[blocks][d];
        double[][] db = new double[blocks][d];
        parallelBlocks(rows, BLOCK_ROWS, (block, from, to) -> {
            double[] dyr = new double[d];
            double[] x = new double[d];
            double[] a = new double[d];
            float[] tmp = new float[d];
            double[] dgp = dg[block];
            double[] dbp = db[block];
            for (int r = from; r < to; r++) {
                dy.get(r, dyr, tmp);
                xh.get(r, x, tmp);
                acc.get(r, a, tmp);
                double m1 = 0;
                double m2 = 0;
                for (int j = 0; j < d; j++) {
                    double v = dyr[j];
                    dgp[j] += v * x[j];
                    dbp[j] += v;
                    double dxh = v * g[j];
                    m1 += dxh;
                    m2 += dxh * x[j];
                }
                m1 /= d;
                m2 /= d;
                double inv = rs.getScalar(r);
                for (int j = 0; j < d; j++) {
                    a[j] += inv * (dyr[j] * g[j] - m1 - x[j] * m2);
                }
                acc.put(r, a, tmp);
            }
        });
        double[] sg = new double[d];
        double[] sb = new double[d];
        for (int p = 0; p < blocks; p++) {
            for (int j = 0; j < d; j++) {
                sg[j] += dg[p][j];
                sb[j] += db[p][j];
            }
        }
        gGain.addi(Nd4j.createFromArray(sg).reshape(gGain.shape()).castTo(gGain.dataType()));
        gBias.addi(Nd4j.createFromArray(sb).reshape(gBias.shape()).castTo(gBias.dataType()));
    }
}
