package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELUDerivative;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

/**
 * Causal transformer language model on ND4J with a hand-written backward pass. Parameters and gradients are
 * each one flat vector (so data-parallel averaging, Adam and checkpoints work on a single array); activations
 * live in buffers allocated once per batch shape. Every matrix product goes through {@code Nd4j.gemm} (BLAS)
 * or batched {@code Nd4j.matmul} on strided views, so no head-splitting copies are made. Column sums are GEMMs
 * against a ones vector, which is much faster in ND4J than {@code sum(0)}.
 *
 * <p>Block: x += attn(LN1(x))·Wo; x += act(LN2(x)·W1)·W2 with act GELU, GELU (tanh form) or ReLU. Our own
 * models' linear layers have no biases (as in PaLM/LLaMA); GPT-2 checkpoints add one to each linear layer (a
 * row vector added after the GEMM, its gradient a column sum). Residual additions are folded into the GEMMs
 * (beta = 1). The Llama family ({@link LmConfig.Llama}) swaps in RMSNorm, rotary positions applied to queries and
 * keys in place, a SwiGLU MLP, key/value heads shared by groups of query heads, and an untied output head.
 *
 * <p>Imported BF16/F16 weights can stay in their stored width for scoring and generation ({@link #reading}): the
 * forward pass widens one block at a time into an fp32 buffer and gathers embedding rows before widening them; the
 * output head is widened once (an fp32 copy of vocabulary x d). Widening is exact, so every product sees the same
 * fp32 operands, in the same layout, as a model whose weights were all widened first: the logits are bit for bit
 * the same. Generation ({@link #step}) of fewer than 128 rows with BF16 weights never widens a whole block or the head:
 * {@link Bf16Gemm} widens them chunk by chunk in cache (a third of the memory traffic, and no fp32 copy of the head);
 * its sums run in another order, so those logits equal the widened model's to fp32 rounding, not bit for bit.
 * Such a model is read-only: fine-tuning widens the
 * weights to fp32 master weights first ({@link LmCheckpoint#masterWeights()}).
 */
public final class TransformerLm {
    static final double LN_EPS = 1e-5;

    private final LmConfig cfg;
    private final String activation;
    private final DataType dtype;
    private final INDArray params;
    private final Weights w;
    private final boolean stored16;      // parameters kept in 16 bits, widened at use (read-only)
    private final INDArray posEmb;       // the fp32 parameters outside the blocks, widened once when stored16
    private final INDArray lnfG;
    private final INDArray lnfB;
    private INDArray layerBuf;           // one block widened to fp32 (stored16 only, on first use) and its views
    private Weights.Block layer;
    private int widenedLayer = -1;
    private INDArray headF;              // the output head widened whole, once (stored16 only)
    private Weights.Block[] narrow;      // per block: small vectors widened, BF16 matrices as stored (generation)
    private final INDArray ropeCos;   // [context, headDim / 2] with rotary positions, else null
    private final INDArray ropeSin;
    private INDArray grads;   // allocated on the first training step: scoring and generation never need it
    private Weights g;
    private Activations act;

    /**
     * A model computing in {@code dtype}; parameters of another type are converted, except that BF16/F16 parameters
     * with an fp32 {@code dtype} stay 16-bit and are widened at use (a read-only model for scoring and generation).
     */
    public TransformerLm(LmConfig cfg, DataType dtype, INDArray params) {
        if (params.length() != cfg.numParams()) {
            throw new IllegalArgumentException("expected " + cfg.numParams() + " parameters for " + cfg + ", got " + params.length());
        }
        this.cfg = cfg;
        this.activation = cfg.activation();
        this.dtype = dtype;
        this.stored16 = dtype == DataType.FLOAT && is16Bit(params.dataType());
        DataType keep = stored16 ? params.dataType() : dtype;
        this.params = params.dataType() == keep && params.rank() == 1 ? params : params.reshape(params.length()).castTo(keep);
        this.w = new Weights(this.params, cfg);
        this.posEmb = widen(w.posEmb);
        this.lnfG = widen(w.lnfG);
        this.lnfB = widen(w.lnfB);
        if (cfg.llama() != null) {
            INDArray[] t = ropeTables(cfg, dtype);
            ropeCos = t[0];
            ropeSin = t[1];
        } else {
            ropeCos = ropeSin = null;
        }
    }

    /** For scoring and generation: fp32 computation, the parameters kept in their stored width (not copied). */
    public static TransformerLm reading(LmConfig cfg, INDArray params) {
        return new TransformerLm(cfg, is16Bit(params.dataType()) ? DataType.FLOAT : params.dataType(), params);
    }

    static boolean is16Bit(DataType t) {
        return t == DataType.BFLOAT16 || t == DataType.HALF;
    }

    private INDArray widen(INDArray a) {
        return a == null || !stored16 ? a : a.castTo(dtype);
    }

    /** Values per slice when a 16-bit block is widened (4 MB of fp32). */
    private static final int WIDEN_SLICE = 1 << 20;

    /** Block l's weights in the compute type: the parameters' own views, or the block widened into the buffer. */
    private Weights.Block block(int l) {
        if (!stored16) {
            return w.blocks[l];
        }
        if (layerBuf == null) {
            layerBuf = Nd4j.zeros(dtype, w.blockLength);   // not allocated by generation, which never widens a block
            layer = Weights.Block.over(layerBuf, cfg);
        }
        if (widenedLayer != l) {
            // widening is a plain copy with a conversion, memory-bound: spread over the threads in fixed slices
            long start = w.blockStart[l];
            RowKernels.parallelBlocks(Math.toIntExact(w.blockLength), WIDEN_SLICE, (k, from, to) ->
                    layerBuf.get(interval(from, to)).assign(params.get(interval(start + from, start + to))));
            widenedLayer = l;
        }
        return layer;
    }

    /**
     * Block l for a product of {@code rows} rows: BF16 matrices as stored when so few rows are multiplied that their
     * products widen the weights chunk by chunk in cache ({@link Bf16Gemm}); otherwise {@link #block}.
     */
    private Weights.Block block(int l, int rows) {
        if (!narrowProducts(rows)) {
            return block(l);
        }
        if (narrow == null) {
            narrow = new Weights.Block[cfg.layers()];
        }
        if (narrow[l] == null) {
            Weights.Block b = w.blocks[l];
            Weights.Block f = new Weights.Block();
            f.wqkv = b.wqkv;
            f.wo = b.wo;
            f.w1 = b.w1;
            f.w2 = b.w2;
            f.ln1G = widen(b.ln1G);
            f.ln1B = widen(b.ln1B);
            f.ln2G = widen(b.ln2G);
            f.ln2B = widen(b.ln2B);
            f.bqkv = widen(b.bqkv);
            f.bo = widen(b.bo);
            f.b1 = widen(b.b1);
            f.b2 = widen(b.b2);
            f.qNorm = widen(b.qNorm);
            f.kNorm = widen(b.kNorm);
            narrow[l] = f;
        }
        return narrow[l];
    }

    /** BF16 weights multiplied by few enough rows that widening them whole would cost more than the products. */
    private boolean narrowProducts(long rows) {
        return stored16 && params.dataType() == DataType.BFLOAT16 && HOST_KERNELS && rows < 4 * NdThreads.GEMM_MIN_TILE
                && Bf16Gemm.reaches(w.head != null ? w.head : w.tokEmb);
    }

    /** out = the token embedding rows of {@code tokens}. */
    private void embedRows(int[] tokens, INDArray out) {
        if (stored16) {
            out.assign(Nd4j.pullRows(w.tokEmb, 1, tokens));
        } else {
            Nd4j.pullRows(w.tokEmb, out, 1, tokens);
        }
    }

    /**
     * logits = h · head^T. In generation ({@code step}) a BF16 head times a few rows is widened chunk by chunk
     * ({@link Bf16Gemm}); otherwise a 16-bit head is widened whole, once: widening it a slice of rows at a time changes how BLAS blocks the product and so
     * the last bit of batched logits, and widening it at every step would cost more than the product itself.
     */
    private void project(INDArray h, INDArray logits, boolean step) {
        INDArray table = w.head != null ? w.head : w.tokEmb;
        if (step && narrowProducts(h.size(0))) {
            mm(h, false, table, true, logits, 0);
            return;
        }
        if (stored16 && headF == null) {
            headF = table.castTo(dtype);
        }
        mm(h, false, stored16 ? headF : table, true, logits, 0);
    }

    /**
     * cos and sin of position x frequency, frequency j = theta^(-2j / headDim) (rescaled when the config says so);
     * the frequencies and their products with positions are rounded to fp32 first, as the published
     * implementation computes them.
     */
    private static INDArray[] ropeTables(LmConfig cfg, DataType dtype) {
        int half = cfg.headDim() / 2;
        double[] cos = new double[cfg.context() * half];
        double[] sin = new double[cos.length];
        for (int j = 0; j < half; j++) {
            float inv = (float) (1.0 / Math.pow(cfg.llama().ropeTheta(), (2.0 * j) / cfg.headDim()));
            if (cfg.llama().ropeScaling() != null) {
                inv = (float) cfg.llama().ropeScaling().scale(inv);
            }
            for (int p = 0; p < cfg.context(); p++) {
                double angle = (float) (p * inv);
                cos[p * half + j] = Math.cos(angle);
                sin[p * half + j] = Math.sin(angle);
            }
        }
        return new INDArray[]{Nd4j.createFromArray(cos).reshape(cfg.context(), half).castTo(dtype),
                Nd4j.createFromArray(sin).reshape(cfg.context(), half).castTo(dtype)};
    }

    /** A freshly initialised model: N(0, 0.02) matrices and embeddings, output projections scaled by 1/sqrt(2L). */
    public static TransformerLm initialise(LmConfig cfg, long seed, DataType dtype) {
        INDArray p = Nd4j.zeros(dtype, cfg.numParams());
        TransformerLm m = new TransformerLm(cfg, dtype, p);
        Random rnd = new Random(seed);
        fill(m.w.tokEmb, rnd, 0.02);
        if (m.w.posEmb != null) {
            fill(m.w.posEmb, rnd, 0.01);
        }
        if (m.w.head != null) {
            fill(m.w.head, rnd, 0.02);
        }
        double outScale = 0.02 / Math.sqrt(2.0 * cfg.layers());
        for (Weights.Block b : m.w.blocks) {
            b.ln1G.assign(1);
            b.ln2G.assign(1);
            if (b.qNorm != null) {
                b.qNorm.assign(1);
                b.kNorm.assign(1);
            }
            fill(b.wqkv, rnd, 0.02);
            fill(b.wo, rnd, outScale);
            fill(b.w1, rnd, 0.02);
            fill(b.w2, rnd, outScale);
        }
        m.w.lnfG.assign(1);
        return m;
    }

    private static void fill(INDArray a, Random rnd, double std) {
        double[] v = new double[(int) a.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextGaussian() * std;
        }
        a.assign(Nd4j.createFromArray(v).reshape(a.shape()).castTo(a.dataType()));
    }

    public LmConfig config() {
        return cfg;
    }

    public DataType dtype() {
        return dtype;
    }

    /** The flat parameter vector as stored (a live view: changes affect the model). */
    public INDArray params() {
        return params;
    }

    /** The flat gradient vector filled by {@link #trainStep}. */
    public INDArray grads() {
        if (grads == null) {
            grads = Nd4j.zeros(dtype, cfg.numParams());
            g = new Weights(grads, cfg);
        }
        return grads;
    }

    // ------------------------------------------------------------------------------------------------ buffers

    /**
     * Flat buffers that grow to the largest batch seen; each batch shape gets views into them, so batches of
     * varying length (SFT) reuse one allocation instead of one per shape.
     */
    private final class Arena {
        private final Map<String, INDArray> flat = new HashMap<>();

        INDArray view(String name, long... shape) {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            INDArray f = flat.get(name);
            if (f == null || f.length() < n) {
                f = Nd4j.zeros(dtype, n);
                flat.put(name, f);
            }
            return f.get(interval(0, n)).reshape('c', shape);
        }
    }

    private final Arena arena = new Arena();
    private final Map<Integer, INDArray> causalMasks = new HashMap<>();

    private final class Activations {
        final int b, t, n, d, h, heads, dh;
        final INDArray[] xhat1, rstd1, h1, qkv, prob, att, xhat2, rstd2, h2, u, gact;
        final INDArray x, xhatf, rstdf, hf, logits;
        final INDArray dRes, dTmp, dH, scratchH, dqkv, dP, scratchTT, mask, onesB, onesN;
        final INDArray dA;                        // d SwiGLU output; null without the gate
        final INDArray kRep, vRep, dkRep, dvRep;  // keys/values repeated per query head; null without grouping
        final INDArray cos, sin, ropeTmp;         // rotary tables per row; null without rotary positions
        final INDArray[] qkXhat, qkRstd;          // per-head query/key norm inputs normalised, 1/rms; null without
        final INDArray dAtt;                      // d attention output [n, attnWidth]: dTmp when that is d wide
        final boolean training;

        Activations(int b, int t, boolean training) {
            this.b = b;
            this.t = t;
            this.training = training;
            n = b * t;
            d = cfg.dModel();
            h = cfg.hidden();
            heads = cfg.heads();
            dh = cfg.headDim();
            int slots = training ? cfg.layers() : 1;
            String p = training ? "t" : "s";
            xhat1 = new INDArray[slots];
            rstd1 = new INDArray[slots];
            h1 = new INDArray[slots];
            qkv = new INDArray[slots];
            prob = new INDArray[slots];
            att = new INDArray[slots];
            xhat2 = new INDArray[slots];
            rstd2 = new INDArray[slots];
            h2 = new INDArray[slots];
            u = new INDArray[slots];
            gact = new INDArray[slots];
            for (int l = 0; l < slots; l++) {
                xhat1[l] = arena.view(p + "xhat1." + l, n, d);
                rstd1[l] = arena.view(p + "rstd1." + l, n, 1);
                h1[l] = arena.view(p + "h1." + l, n, d);
                qkv[l] = arena.view(p + "qkv." + l, n, cfg.qkvWidth());
                prob[l] = arena.view(p + "prob." + l, b, heads, t, t);
                att[l] = arena.view(p + "att." + l, n, cfg.attnWidth());
                xhat2[l] = arena.view(p + "xhat2." + l, n, d);
                rstd2[l] = arena.view(p + "rstd2." + l, n, 1);
                h2[l] = arena.view(p + "h2." + l, n, d);
                u[l] = arena.view(p + "u." + l, n, cfg.mlpWidth());
                gact[l] = arena.view(p + "gact." + l, n, h);
            }
            x = arena.view(p + "x", n, d);
            xhatf = arena.view(p + "xhatf", n, d);
            rstdf = arena.view(p + "rstdf", n, 1);
            hf = arena.view(p + "hf", n, d);
            logits = arena.view(p + "logits", n, cfg.vocabSize());
            if (training) {
                dRes = arena.view("dRes", n, d);
                dTmp = arena.view("dTmp", n, d);
                dH = arena.view("dH", n, cfg.mlpWidth());
                scratchH = arena.view("scratchH", n, cfg.mlpWidth());
                dqkv = arena.view("dqkv", n, cfg.qkvWidth());
                dP = arena.view("dP", b, heads, t, t);
                scratchTT = arena.view("scratchTT", b, heads, t, t);
            } else {
                dRes = dTmp = dH = scratchH = dqkv = dP = scratchTT = null;
            }
            mask = causalMasks.computeIfAbsent(t, k -> {
                // -1e9 above the diagonal; broadcast over batch and heads when added
                INDArray m = Nd4j.zeros(dtype, k, k);
                for (int i = 0; i + 1 < k; i++) {
                    m.get(point(i), interval(i + 1, k)).assign(-1e9);
                }
                return m;
            });
            onesB = arena.view("onesB", b).assign(1).reshape(1, b);
            boolean anyBias = cfg.biases() || cfg.llama() != null && cfg.llama().qkvBias();
            onesN = training && anyBias ? arena.view("onesN", n).assign(1).reshape(1, n) : null;
            boolean qkNorm = cfg.llama() != null && cfg.llama().qkNorm();
            qkXhat = qkNorm ? new INDArray[slots] : null;
            qkRstd = qkNorm ? new INDArray[slots] : null;
            for (int l = 0; qkNorm && l < slots; l++) {
                qkXhat[l] = arena.view(p + "qkXhat." + l, n, (long) (heads + cfg.kvHeads()) * dh);
                qkRstd[l] = arena.view(p + "qkRstd." + l, n, heads + cfg.kvHeads());
            }
            dAtt = !training ? null : cfg.attnWidth() == d ? dTmp : arena.view("dAtt", n, cfg.attnWidth());
            boolean gated = cfg.llama() != null;
            dA = training && gated ? arena.view("dA", n, h) : null;
            boolean grouped = cfg.kvHeads() != heads;
            kRep = grouped ? arena.view(p + "kRep", b, heads, t, dh) : null;
            vRep = grouped ? arena.view(p + "vRep", b, heads, t, dh) : null;
            dkRep = grouped && training ? arena.view("dkRep", b, heads, t, dh) : null;
            dvRep = grouped && training ? arena.view("dvRep", b, heads, t, dh) : null;
            if (ropeCos != null) {
                int[] pos = new int[n];
                for (int i = 0; i < n; i++) {
                    pos[i] = i % t;
                }
                cos = arena.view(p + "cos", n, dh / 2);
                sin = arena.view(p + "sin", n, dh / 2);
                Nd4j.pullRows(ropeCos, cos, 1, pos);
                Nd4j.pullRows(ropeSin, sin, 1, pos);
                ropeTmp = arena.view("ropeTmp", n, dh / 2);
            } else {
                cos = sin = ropeTmp = null;
            }
        }
    }

    private Activations activations(int b, int t, boolean training) {
        if (t > cfg.context()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model context " + cfg.context());
        }
        if (act == null || act.b != b || act.t != t || act.training != training) {
            act = new Activations(b, t, training);
        }
        return act;
    }

    /** Drops the activation buffers (e.g. before a long idle period); they are reallocated on demand. */
    public void releaseBuffers() {
        act = null;
        arena.flat.clear();
    }

    // ------------------------------------------------------------------------------------------------ maths

    /**
     * C = op(A)·op(B) (beta = 0) or C += op(A)·op(B) (beta = 1), on BLAS in blocks independent of the threads; B in
     * BF16 only as {@link #block(int, int)} hands it out.
     */
    private static void mm(INDArray a, boolean ta, INDArray b, boolean tb, INDArray c, double beta) {
        if (b.dataType() == DataType.BFLOAT16 && !ta) {
            Bf16Gemm.gemm(a, b, tb, c, beta);
        } else {
            NdThreads.gemm(a, ta, b, tb, c, beta);
        }
    }

    /** The fused Java kernels read host memory directly: only valid on the CPU backend (tests may switch them off). */
    static volatile boolean HOST_KERNELS = RowKernels.hostMemoryBackend();

    private static void layerNorm(INDArray x, INDArray gain, INDArray bias, INDArray xhat, INDArray rstd, INDArray out) {
        if (HOST_KERNELS) {
            RowKernels.layerNorm(x, gain, bias, xhat, rstd, out, LN_EPS);
            return;
        }
        // device backends: the same maths as ND4J ops (a few more passes over memory)
        INDArray mu = x.mean(true, 1);
        xhat.assign(x).subiColumnVector(mu);
        out.assign(xhat).muli(xhat);
        rstd.assign(Transforms.pow(out.mean(true, 1).addi(LN_EPS), -0.5, false));
        xhat.muliColumnVector(rstd);
        out.assign(xhat).muliRowVector(gain).addiRowVector(bias);
    }

    /** LayerNorm, or RMSNorm in the Llama family (no bias, no centring). */
    private void norm(INDArray x, INDArray gain, INDArray bias, INDArray xhat, INDArray rstd, INDArray out) {
        if (cfg.llama() == null) {
            layerNorm(x, gain, bias, xhat, rstd, out);
            return;
        }
        out.assign(x).muli(x);
        rstd.assign(Transforms.pow(out.mean(true, 1).addi(cfg.llama().normEps()), -0.5, false));
        xhat.assign(x).muliColumnVector(rstd);
        out.assign(xhat).muliRowVector(gain);
    }

    /** {@link #norm} for a generation step: RMSNorm in one pass over the rows when {@code rowKernel}. */
    private void stepNorm(INDArray x, INDArray gain, INDArray bias, INDArray xhat, INDArray rstd, INDArray out, boolean rowKernel) {
        if (rowKernel && cfg.llama() != null) {
            RowKernels.rmsNorm(x, gain, xhat, rstd, out, cfg.llama().normEps());
        } else {
            norm(x, gain, bias, xhat, rstd, out);
        }
    }

    private void normBackward(INDArray dOut, INDArray xhat, INDArray rstd, INDArray gain, INDArray gGain, INDArray gBias,
                              INDArray dxAcc) {
        if (cfg.llama() == null) {
            layerNormBackward(dOut, xhat, rstd, gain, gGain, gBias, dxAcc);
            return;
        }
        // dx = rstd (dxhat - xhat mean(dxhat xhat)), dxhat = dOut * gain
        gGain.addi(dOut.mul(xhat).sum(true, 0));
        INDArray dxhat = dOut.mulRowVector(gain);
        INDArray m2 = dxhat.mul(xhat).mean(true, 1);
        dxAcc.addi(dxhat.subi(xhat.mulColumnVector(m2)).muliColumnVector(rstd));
    }

    /**
     * Rotates each query and key head of {@code qkv} [rows, qkvWidth] in place: (x1, x2) -> (x1 cos - x2 sin,
     * x2 cos + x1 sin) with x1, x2 the head's halves; {@code inverse} applies the transpose (for the gradient).
     */
    private void rope(INDArray qkv, INDArray cos, INDArray sin, boolean inverse, INDArray tmp) {
        int dh = cfg.headDim();
        int half = dh / 2;
        double sign = inverse ? -1 : 1;
        for (int h = 0; h < cfg.heads() + cfg.kvHeads(); h++) {
            INDArray x1 = qkv.get(all(), interval(h * dh, h * dh + half));
            INDArray x2 = qkv.get(all(), interval(h * dh + half, (h + 1) * dh));
            tmp.assign(x1);
            x1.muli(cos).subi(x2.mul(sin).muli(sign));
            x2.muli(cos).addi(tmp.muli(sin).muli(sign));
        }
    }

    /**
     * Qwen3's RMSNorm over each query and key head of {@code qkv} [rows, qkvWidth], in place, before the rotation;
     * keeps each head's normalised input and 1/rms (in xhat, rstd) for the backward pass.
     */
    private void qkNorm(INDArray qkv, Weights.Block p, INDArray xhat, INDArray rstd) {
        int dh = cfg.headDim();
        for (int h = 0; h < cfg.heads() + cfg.kvHeads(); h++) {
            INDArray x = qkv.get(all(), interval(h * dh, (h + 1) * dh));
            INDArray r = rstd.get(all(), interval(h, h + 1));
            INDArray xh = xhat.get(all(), interval(h * dh, (h + 1) * dh));
            r.assign(Transforms.pow(x.mul(x).mean(true, 1).addi(cfg.llama().normEps()), -0.5, false));
            xh.assign(x).muliColumnVector(r);
            x.assign(xh).muliRowVector(h < cfg.heads() ? p.qNorm : p.kNorm);
        }
    }

    /** dqkv's query and key heads become gradients before the per-head norm; the gains' gradients accumulate. */
    private void qkNormBackward(INDArray dqkv, Weights.Block p, Weights.Block gp, INDArray xhat, INDArray rstd) {
        int dh = cfg.headDim();
        for (int h = 0; h < cfg.heads() + cfg.kvHeads(); h++) {
            boolean query = h < cfg.heads();
            INDArray dOut = dqkv.get(all(), interval(h * dh, (h + 1) * dh));
            INDArray xh = xhat.get(all(), interval(h * dh, (h + 1) * dh));
            (query ? gp.qNorm : gp.kNorm).addi(dOut.mul(xh).sum(true, 0));
            INDArray dxhat = dOut.mulRowVector(query ? p.qNorm : p.kNorm);
            INDArray m2 = dxhat.mul(xh).mean(true, 1);
            dOut.assign(dxhat.subi(xh.mulColumnVector(m2)).muliColumnVector(rstd.get(all(), interval(h, h + 1))));
        }
    }

    /** The key or value heads [B, kvHeads, T, dh] as one per query head (into rep); src itself without grouping. */
    private INDArray repeatKv(INDArray src, INDArray rep) {
        if (rep == null) {
            return src;
        }
        int group = cfg.heads() / cfg.kvHeads();
        for (int h = 0; h < cfg.heads(); h++) {
            rep.get(all(), point(h), all(), all()).assign(src.get(all(), point(h / group), all(), all()));
        }
        return rep;
    }

    /** dst [B, kvHeads, T, dh] = the sum of each group's per-query-head gradients in rep. */
    private void sumGroups(INDArray rep, INDArray dst) {
        int group = cfg.heads() / cfg.kvHeads();
        for (int j = 0; j < cfg.kvHeads(); j++) {
            INDArray d = dst.get(all(), point(j), all(), all()).assign(rep.get(all(), point(j * group), all(), all()));
            for (int k = 1; k < group; k++) {
                d.addi(rep.get(all(), point(j * group + k), all(), all()));
            }
        }
    }

    /** out = silu(gate) * up, with gate and up the two halves of u. */
    private void swiglu(INDArray u, INDArray out) {
        int h = cfg.hidden();
        INDArray gate = u.get(all(), interval(0, h));
        out.assign(Transforms.sigmoid(gate, true)).muli(gate).muli(u.get(all(), interval(h, 2 * h)));
    }

    /** dU = [dA * up * silu'(gate), dA * silu(gate)], silu'(x) = s (1 + x (1 - s)), s = sigmoid(x). */
    private void swigluBackward(INDArray u, INDArray dA, INDArray dU) {
        int h = cfg.hidden();
        INDArray gate = u.get(all(), interval(0, h));
        INDArray up = u.get(all(), interval(h, 2 * h));
        INDArray sig = Transforms.sigmoid(gate, true);
        dU.get(all(), interval(h, 2 * h)).assign(gate.mul(sig).muli(dA));
        dU.get(all(), interval(0, h)).assign(sig.rsub(1).muli(gate).addi(1).muli(sig).muli(up).muli(dA));
    }

    /** dxAcc += d(LN)/dx · dOut; accumulates gain/bias gradients. */
    private static void layerNormBackward(INDArray dOut, INDArray xhat, INDArray rstd, INDArray gain,
                                          INDArray gGain, INDArray gBias, INDArray dxAcc) {
        if (HOST_KERNELS) {
            RowKernels.layerNormBackward(dOut, xhat, rstd, gain, gGain, gBias, dxAcc);
            return;
        }
        gGain.addi(dOut.mul(xhat).sum(true, 0));
        gBias.addi(dOut.sum(true, 0));
        INDArray dxhat = dOut.mulRowVector(gain);
        INDArray m1 = dxhat.mean(true, 1);
        INDArray m2 = dxhat.mul(xhat).mean(true, 1);
        dxAcc.addi(dxhat.subiColumnVector(m1).subi(xhat.mulColumnVector(m2)).muliColumnVector(rstd));
    }

    private void activation(INDArray u, INDArray out) {
        switch (activation) {
            case LmConfig.RELU -> Nd4j.exec(new RectifiedLinear(u, out));
            case LmConfig.GELU -> Nd4j.exec(new GELU(u, out));
            default -> geluTanhInner(u, out).addi(1).muli(u).muli(0.5);
        }
    }

    /** sqrt(2/pi): GELU's tanh form (ND4J's PreciseGELU computes something else, so it is built from tanh). */
    private static final double GELU_C = Math.sqrt(2 / Math.PI);

    /** out = tanh(sqrt(2/pi) (u + 0.044715 u^3)). */
    private static INDArray geluTanhInner(INDArray u, INDArray out) {
        out.assign(u).muli(u).muli(u).muli(0.044715).addi(u).muli(GELU_C);
        return Transforms.tanh(out, false);
    }

    /** dH <- dH * act'(u) (scratch may be overwritten). */
    private void activationBackward(INDArray u, INDArray dH, INDArray scratch) {
        switch (activation) {
            case LmConfig.RELU -> Nd4j.exec(new RectifiedLinearDerivative(u, dH, dH));
            case LmConfig.GELU -> {
                Nd4j.exec(new GELUDerivative(u, scratch));
                dH.muli(scratch);
            }
            default -> {
                // d/du = 0.5 (1 + t) + 0.5 u (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 u^2), t the inner tanh
                INDArray t = geluTanhInner(u, scratch);
                INDArray slope = u.mul(u).muli(3 * 0.044715).addi(1).muli(u).muli(GELU_C * 0.5).muli(t.mul(t).rsubi(1));
                dH.muli(slope.addi(t.addi(1).muli(0.5)));
            }
        }
    }

    /** gBias += column sums of m (a GEMM against a ones row); nothing without biases. */
    private static void biasGrad(INDArray ones, INDArray m, INDArray gBias) {
        if (gBias != null) {
            Nd4j.gemm(ones, m, gBias, false, false, 1.0, 1.0);
        }
    }

    private static void addBias(INDArray m, INDArray bias) {
        if (bias != null) {
            m.addiRowVector(bias);
        }
    }

    /** Softmax along the last dimension of a contiguous [rows, k] array, in place (the rank-2 op is the fast one). */
    private static void softmaxRows(INDArray m) {
        Nd4j.exec(new SoftMax(m, m, 1));
    }

    /** Query, key and value heads as [B, heads (or kvHeads), T, dh] views of the fused projection. */
    private INDArray[] heads(INDArray qkv, int b, int t) {
        int h = cfg.heads();
        int kv = cfg.kvHeads();
        INDArray v4 = qkv.reshape('c', b, t, h + 2 * kv, cfg.headDim());
        return new INDArray[]{v4.get(all(), all(), interval(0, h), all()).permute(0, 2, 1, 3),
                v4.get(all(), all(), interval(h, h + kv), all()).permute(0, 2, 1, 3),
                v4.get(all(), all(), interval(h + kv, h + 2 * kv), all()).permute(0, 2, 1, 3)};
    }

    private INDArray headsView(INDArray m, int b, int t) {
        return m.reshape('c', b, t, cfg.heads(), cfg.headDim()).permute(0, 2, 1, 3);
    }

    private void embed(Activations a, int[] tokens) {
        embedRows(tokens, a.x);
        if (posEmb != null) {
            INDArray pos = posEmb.get(interval(0, a.t), all()).reshape(1, (long) a.t * a.d);
            a.x.reshape(a.b, (long) a.t * a.d).addiRowVector(pos);
        }
    }

    /** Pre-LN blocks: x += attention(LN1(x)); x += MLP(LN2(x)); then the final LN and the tied output head. */
    private void forward(Activations a, int[] tokens) {
        StepProfile.start();
        embed(a, tokens);
        StepProfile.mark("embed");
        for (int l = 0; l < cfg.layers(); l++) {
            int s = a.training ? l : 0;     // training keeps every layer's activations for the backward pass
            Weights.Block p = block(l);
            norm(a.x, p.ln1G, p.ln1B, a.xhat1[s], a.rstd1[s], a.h1[s]);
            StepProfile.mark("fwd.layernorm");
            attentionForward(a, p, s);
            StepProfile.mark("fwd.attention");
            norm(a.x, p.ln2G, p.ln2B, a.xhat2[s], a.rstd2[s], a.h2[s]);
            StepProfile.mark("fwd.layernorm");
            mlpForward(a, p, s);
            StepProfile.mark("fwd.mlp");
        }
        norm(a.x, lnfG, lnfB, a.xhatf, a.rstdf, a.hf);
        StepProfile.mark("fwd.layernorm");
        headForward(a);
        StepProfile.mark("fwd.head");
    }

    /** x += softmax(Q K^T / sqrt(d_h) + causal mask) V Wo, with Q, K, V = LN1(x) Wqkv split into heads. */
    private void attentionForward(Activations a, Weights.Block p, int s) {
        mm(a.h1[s], false, p.wqkv, false, a.qkv[s], 0);
        addBias(a.qkv[s], p.bqkv);
        if (a.qkXhat != null) {
            qkNorm(a.qkv[s], p, a.qkXhat[s], a.qkRstd[s]);
        }
        if (a.cos != null) {
            rope(a.qkv[s], a.cos, a.sin, false, a.ropeTmp);
        }
        INDArray[] qkv = heads(a.qkv[s], a.b, a.t);
        INDArray keys = repeatKv(qkv[1], a.kRep);
        INDArray prob = a.prob[s];
        Nd4j.matmul(qkv[0], keys, prob, false, true, false);
        prob.muli(1.0 / Math.sqrt(cfg.headDim()));
        Nd4j.exec(new BroadcastAddOp(prob, a.mask, prob, 2, 3));
        softmaxRows(prob.reshape('c', (long) a.b * a.heads * a.t, a.t));
        Nd4j.matmul(prob, repeatKv(qkv[2], a.vRep), headsView(a.att[s], a.b, a.t), false, false, false);
        mm(a.att[s], false, p.wo, false, a.x, 1);
        addBias(a.x, p.bo);
    }

    /** dRes flows through the residual; dTmp receives d LN1(x) for the layer norm's backward. */
    private void attentionBackward(Activations a, Weights.Block p, Weights.Block gp, int l) {
        mm(a.att[l], true, a.dRes, false, gp.wo, 1);
        biasGrad(a.onesN, a.dRes, gp.bo);
        mm(a.dRes, false, p.wo, true, a.dAtt, 0);
        INDArray[] qkv = heads(a.qkv[l], a.b, a.t);
        INDArray[] dqkv = heads(a.dqkv, a.b, a.t);
        INDArray dO = headsView(a.dAtt, a.b, a.t);
        INDArray prob = a.prob[l];
        INDArray keys = repeatKv(qkv[1], a.kRep);   // the forward's repeated copies, rebuilt for this layer
        INDArray values = repeatKv(qkv[2], a.vRep);
        INDArray dk = a.dkRep != null ? a.dkRep : dqkv[1];
        INDArray dv = a.dvRep != null ? a.dvRep : dqkv[2];
        Nd4j.matmul(dO, values, a.dP, false, true, false);
        Nd4j.matmul(prob, dO, dv, true, false, false);
        // softmax backward: dS = P * (dP - rowsum(dP * P)), then the 1/sqrt(d_h) scale
        a.scratchTT.assign(a.dP).muli(prob);
        INDArray rowSum = a.scratchTT.sum(3);
        Nd4j.exec(new BroadcastSubOp(a.dP, rowSum, a.dP, 0, 1, 2));
        a.dP.muli(prob).muli(1.0 / Math.sqrt(cfg.headDim()));
        Nd4j.matmul(a.dP, keys, dqkv[0], false, false, false);
        Nd4j.matmul(a.dP, qkv[0], dk, true, false, false);
        if (a.dkRep != null) {
            sumGroups(a.dkRep, dqkv[1]);
            sumGroups(a.dvRep, dqkv[2]);
        }
        if (a.cos != null) {
            rope(a.dqkv, a.cos, a.sin, true, a.ropeTmp);   // gradients of the queries and keys before rotation
        }
        if (a.qkXhat != null) {
            qkNormBackward(a.dqkv, p, gp, a.qkXhat[l], a.qkRstd[l]);
        }
        mm(a.h1[l], true, a.dqkv, false, gp.wqkv, 1);
        biasGrad(a.onesN, a.dqkv, gp.bqkv);
        mm(a.dqkv, false, p.wqkv, true, a.dTmp, 0);
    }

    /** x += act(LN2(x) W1) W2. */
    private void mlpForward(Activations a, Weights.Block p, int s) {
        mm(a.h2[s], false, p.w1, false, a.u[s], 0);
        addBias(a.u[s], p.b1);
        if (cfg.llama() != null) {
            swiglu(a.u[s], a.gact[s]);
        } else {
            activation(a.u[s], a.gact[s]);
        }
        mm(a.gact[s], false, p.w2, false, a.x, 1);
        addBias(a.x, p.b2);
    }

    /** dRes flows through the residual; dTmp receives d LN2(x). */
    private void mlpBackward(Activations a, Weights.Block p, Weights.Block gp, int l) {
        mm(a.gact[l], true, a.dRes, false, gp.w2, 1);
        biasGrad(a.onesN, a.dRes, gp.b2);
        if (a.dA != null) {
            mm(a.dRes, false, p.w2, true, a.dA, 0);
            swigluBackward(a.u[l], a.dA, a.dH);
        } else {
            mm(a.dRes, false, p.w2, true, a.dH, 0);
            activationBackward(a.u[l], a.dH, a.scratchH);
        }
        biasGrad(a.onesN, a.dH, gp.b1);
        mm(a.h2[l], true, a.dH, false, gp.w1, 1);
        mm(a.dH, false, p.w1, true, a.dTmp, 0);
    }

    /** Probabilities of the next token, left in the logits buffer (the embedding matrix is the output projection). */
    private void headForward(Activations a) {
        project(a.hf, a.logits, false);
        softmaxRows(a.logits);      // the loss reads log p of the targets, the gradient is p - onehot
    }

    /** d logits = (p - onehot) * mask / count; fills dTmp with d LN_f(x) and adds the head's embedding gradient. */
    private void headBackward(Activations a, Batch batch, double count) {
        INDArray dl = a.logits;
        for (int i = 0; i < a.n; i++) {
            if (batch.mask()[i] != 0f) {
                int t = batch.targets()[i];
                dl.putScalar(i, t, dl.getDouble(i, t) - 1.0);
            }
        }
        double[] scale = new double[a.n];
        for (int i = 0; i < a.n; i++) {
            scale[i] = batch.mask()[i] / count;
        }
        dl.muliColumnVector(Nd4j.createFromArray(scale).reshape(a.n, 1).castTo(dtype));
        mm(dl, true, a.hf, false, g.head != null ? g.head : g.tokEmb, 1);   // output projection (tied or not)
        mm(dl, false, w.head != null ? w.head : w.tokEmb, false, a.dTmp, 0);   // d hf
    }

    /** Positions are shared across the batch; token rows are scattered into the embedding gradient. */
    private void embedBackward(Activations a, int[] tokens) {
        if (g.posEmb != null) {
            INDArray gPos = g.posEmb.get(interval(0, a.t), all()).reshape(1, (long) a.t * a.d);
            Nd4j.gemm(a.onesB, a.dRes.reshape(a.b, (long) a.t * a.d), gPos, false, false, 1.0, 1.0);
        }
        scatterAddRows(a.dRes, tokens, g.tokEmb);
    }

    /** Smallest probability the loss takes the log of (float softmax can underflow to 0). */
    static final double MIN_PROB = 1e-30;

    /** Sum of -log p(target) over masked positions, per row. Reads the probabilities left in the logits buffer. */
    private double[] rowNll(Activations a, Batch batch, double[] perRow) {
        for (int r = 0; r < a.b; r++) {
            double s = 0;
            for (int t = 0; t < a.t; t++) {
                int i = r * a.t + t;
                if (batch.mask()[i] != 0f) {
                    s -= batch.mask()[i] * Math.log(Math.max(MIN_PROB, a.logits.getDouble(i, batch.targets()[i])));
                }
            }
            perRow[r] = s;
        }
        return perRow;
    }

    /** Result of a training step: summed masked NLL and the masked token count. */
    public record StepLoss(double nllSum, double tokens) {
        public double mean() {
            return tokens == 0 ? Double.NaN : nllSum / tokens;
        }
    }

    /**
     * Forward and backward on one batch: fills {@link #grads()} with the gradient of the mean masked NLL
     * (previous contents are overwritten).
     */
    public StepLoss trainStep(Batch batch) {
        if (stored16) {
            throw new IllegalStateException("this model keeps its " + params.dataType() + " weights read-only; training "
                    + "needs fp32 master weights (LmCheckpoint.masterWeights())");
        }
        Activations a = activations(batch.rows(), batch.length(), true);
        forward(a, batch.tokens());
        double[] rows = rowNll(a, batch, new double[a.b]);
        StepProfile.mark("loss");
        double nll = 0;
        for (double v : rows) {
            nll += v;
        }
        double count = batch.maskedTokens();
        grads().assign(0);
        StepProfile.mark("zero-grads");
        if (count == 0) {
            return new StepLoss(0, 0);
        }
        headBackward(a, batch, count);
        StepProfile.mark("bwd.head");
        a.dRes.assign(0);
        normBackward(a.dTmp, a.xhatf, a.rstdf, w.lnfG, g.lnfG, g.lnfB, a.dRes);
        StepProfile.mark("bwd.layernorm");
        for (int l = cfg.layers() - 1; l >= 0; l--) {
            Weights.Block p = w.blocks[l];
            Weights.Block gp = g.blocks[l];
            mlpBackward(a, p, gp, l);
            StepProfile.mark("bwd.mlp");
            normBackward(a.dTmp, a.xhat2[l], a.rstd2[l], p.ln2G, gp.ln2G, gp.ln2B, a.dRes);
            StepProfile.mark("bwd.layernorm");
            attentionBackward(a, p, gp, l);
            StepProfile.mark("bwd.attention");
            normBackward(a.dTmp, a.xhat1[l], a.rstd1[l], p.ln1G, gp.ln1G, gp.ln1B, a.dRes);
            StepProfile.mark("bwd.layernorm");
        }
        embedBackward(a, batch.tokens());
        StepProfile.mark("bwd.embed");
        return new StepLoss(nll, count);
    }

    private void scatterAddRows(INDArray rows, int[] index, INDArray target) {
        int d = (int) rows.size(1);
        double[] src = rows.data().asDouble();
        double[] acc = new double[(int) target.length()];
        boolean[] touched = new boolean[(int) target.size(0)];
        for (int i = 0; i < index.length; i++) {
            int base = index[i] * d;
            touched[index[i]] = true;
            for (int j = 0; j < d; j++) {
                acc[base + j] += src[i * d + j];
            }
        }
        target.addi(Nd4j.createFromArray(acc).reshape(target.shape()).castTo(dtype));
    }

    /** Per-row sum of masked NLL (forward only); counts go to {@code counts}. */
    public double[] score(Batch batch, double[] counts) {
        Activations a = activations(batch.rows(), batch.length(), false);
        forward(a, batch.tokens());
        for (int r = 0; r < a.b; r++) {
            double c = 0;
            for (int t = 0; t < a.t; t++) {
                c += batch.mask()[r * a.t + t];
            }
            counts[r] = c;
        }
        return rowNll(a, batch, new double[a.b]);
    }

    // ------------------------------------------------------------------------------------------------ generation

    /** Keys and values of every layer for G sequences, up to {@code positions} (at most the model context). */
    public final class KvCache {
        final int rows;
        final int positions;
        final INDArray[] k;
        final INDArray[] v;
        final INDArray x;
        final INDArray xhat;
        final INDArray rstd;
        final INDArray hBuf;
        final INDArray qkv;
        final INDArray att;
        final INDArray u;
        final INDArray s;
        final INDArray logits;
        final INDArray cos;
        final INDArray sin;
        final INDArray ropeTmp;
        final INDArray qkXhat;
        final INDArray qkRstd;

        KvCache(int rows, int positions) {
            if (positions < 1 || positions > cfg.context()) {
                throw new IllegalArgumentException("a cache of " + positions + " positions; the model context is " + cfg.context());
            }
            this.rows = rows;
            this.positions = positions;
            int d = cfg.dModel();
            k = new INDArray[cfg.layers()];
            v = new INDArray[cfg.layers()];
            for (int l = 0; l < cfg.layers(); l++) {
                k[l] = Nd4j.zeros(dtype, rows, cfg.kvHeads(), positions, cfg.headDim());
                v[l] = Nd4j.zeros(dtype, rows, cfg.kvHeads(), positions, cfg.headDim());
            }
            x = Nd4j.zeros(dtype, rows, d);
            xhat = Nd4j.zeros(dtype, rows, d);
            rstd = Nd4j.zeros(dtype, rows, 1);
            hBuf = Nd4j.zeros(dtype, rows, d);
            qkv = Nd4j.zeros(dtype, rows, cfg.qkvWidth());
            att = Nd4j.zeros(dtype, rows, cfg.attnWidth());
            u = Nd4j.zeros(dtype, rows, cfg.mlpWidth());
            s = Nd4j.zeros(dtype, rows, cfg.hidden());
            logits = Nd4j.zeros(dtype, rows, cfg.vocabSize());
            boolean rotary = ropeCos != null;
            cos = rotary ? Nd4j.zeros(dtype, rows, cfg.headDim() / 2) : null;
            sin = rotary ? Nd4j.zeros(dtype, rows, cfg.headDim() / 2) : null;
            ropeTmp = rotary ? Nd4j.zeros(dtype, rows, cfg.headDim() / 2) : null;
            boolean qkNorm = cfg.llama() != null && cfg.llama().qkNorm();
            qkXhat = qkNorm ? Nd4j.zeros(dtype, rows, (long) (cfg.heads() + cfg.kvHeads()) * cfg.headDim()) : null;
            qkRstd = qkNorm ? Nd4j.zeros(dtype, rows, cfg.heads() + cfg.kvHeads()) : null;
        }

        public int rows() {
            return rows;
        }
    }

    public KvCache newCache(int rows) {
        return new KvCache(rows, cfg.context());
    }

    /** A cache for sequences of at most {@code positions} tokens (a long-context model's full context would not fit). */
    public KvCache newCache(int rows, int positions) {
        return new KvCache(rows, positions);
    }

    /** out = softmax(q keys^T / sqrt(dh)) values for one new position; {@code scoreRows} rows of scores. */
    private void attendStep(INDArray q, INDArray keys, INDArray values, INDArray out, long scoreRows) {
        INDArray scores = Nd4j.matmul(q, keys, null, false, true, false).muli(1.0 / Math.sqrt(cfg.headDim()));
        softmaxRows(scores.reshape('c', scoreRows, keys.size(-2)));
        Nd4j.matmul(scores, values, out, false, false, false);
    }

    /**
     * Feeds one token per sequence at position {@code pos} (all sequences advance together) and returns the
     * next-token logits [G, V] (unnormalised; a buffer reused by the next call).
     */
    public INDArray step(KvCache c, int[] tokens, int pos) {
        if (pos >= c.positions) {
            throw new IllegalArgumentException("position " + pos + " is beyond the cache's " + c.positions + " positions (model context "
                    + cfg.context() + ")");
        }
        int rows = c.rows;
        embedRows(tokens, c.x);
        // one position for every row: the rotation in one pass over the rows, not five ND4J ops per head
        boolean rowRope = c.cos != null && HOST_KERNELS && dtype == DataType.FLOAT;
        float[] cosPos = rowRope ? ropeCos.getRow(pos).toFloatVector() : null;
        float[] sinPos = rowRope ? ropeSin.getRow(pos).toFloatVector() : null;
        if (posEmb != null) {
            c.x.addiRowVector(posEmb.getRow(pos));
        } else if (!rowRope) {
            c.cos.assign(0).addiRowVector(ropeCos.getRow(pos));
            c.sin.assign(0).addiRowVector(ropeSin.getRow(pos));
        }
        int heads = cfg.heads();
        int kv = cfg.kvHeads();
        int dh = cfg.headDim();
        // a few rows (fp32 on the CPU): attention and RMSNorm as single passes over the rows, not ND4J ops whose
        // per-call cost dominates at this size; more rows keep the batched products
        boolean rowKernels = HOST_KERNELS && dtype == DataType.FLOAT && rows < 4 * NdThreads.GEMM_MIN_TILE;
        for (int l = 0; l < cfg.layers(); l++) {
            Weights.Block p = block(l, rows);
            stepNorm(c.x, p.ln1G, p.ln1B, c.xhat, c.rstd, c.hBuf, rowKernels);
            mm(c.hBuf, false, p.wqkv, false, c.qkv, 0);
            addBias(c.qkv, p.bqkv);
            if (c.qkXhat != null) {
                qkNorm(c.qkv, p, c.qkXhat, c.qkRstd);
            }
            if (rowRope) {
                RowKernels.rope(c.qkv, cosPos, sinPos, cfg.heads() + cfg.kvHeads(), cfg.headDim());
            } else if (c.cos != null) {
                rope(c.qkv, c.cos, c.sin, false, c.ropeTmp);
            }
            INDArray q3 = c.qkv.reshape('c', rows, heads + 2 * kv, dh);
            c.k[l].get(all(), all(), point(pos), all()).assign(q3.get(all(), interval(heads, heads + kv), all()));
            c.v[l].get(all(), all(), point(pos), all()).assign(q3.get(all(), interval(heads + kv, heads + 2 * kv), all()));
            if (rowKernels) {
                RowKernels.attendStep(c.qkv, c.k[l], c.v[l], c.att, heads, kv, dh, pos, 1.0 / Math.sqrt(dh));
            } else if (kv == heads) {
                attendStep(q3.get(all(), interval(0, heads), all()).reshape(rows, heads, 1, dh),
                        c.k[l].get(all(), all(), interval(0, pos + 1), all()), c.v[l].get(all(), all(), interval(0, pos + 1), all()),
                        c.att.reshape('c', rows, heads, 1, dh), rows * heads);
            } else {
                // each key/value head serves a group of query heads: [rows, group, dh] against [rows, pos + 1, dh]
                int group = heads / kv;
                INDArray att3 = c.att.reshape('c', rows, heads, dh);
                for (int j = 0; j < kv; j++) {
                    INDArray out = Nd4j.zeros(dtype, rows, group, dh);
                    attendStep(q3.get(all(), interval(j * group, (j + 1) * group), all()).dup('c'),
                            c.k[l].get(all(), point(j), interval(0, pos + 1), all()),
                            c.v[l].get(all(), point(j), interval(0, pos + 1), all()), out, rows * group);
                    att3.get(all(), interval(j * group, (j + 1) * group), all()).assign(out);
                }
            }
            mm(c.att, false, p.wo, false, c.x, 1);
            addBias(c.x, p.bo);
            stepNorm(c.x, p.ln2G, p.ln2B, c.xhat, c.rstd, c.hBuf, rowKernels);
            mm(c.hBuf, false, p.w1, false, c.u, 0);
            addBias(c.u, p.b1);
            if (cfg.llama() != null && rowKernels) {
                RowKernels.swiglu(c.u, c.s, cfg.hidden());
            } else if (cfg.llama() != null) {
                swiglu(c.u, c.s);
            } else {
                activation(c.u, c.s);
            }
            mm(c.s, false, p.w2, false, c.x, 1);
            addBias(c.x, p.b2);
        }
        stepNorm(c.x, lnfG, lnfB, c.xhat, c.rstd, c.hBuf, rowKernels);
        project(c.hBuf, c.logits, true);
        return c.logits;
    }
}
