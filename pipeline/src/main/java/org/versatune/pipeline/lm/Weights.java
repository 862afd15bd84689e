package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Named views into one flat parameter (or gradient) vector, in a fixed layout. */
final class Weights {
    final INDArray tokEmb;   // [V, d], also the output projection unless head is set
    final INDArray posEmb;   // [T, d]; null with rotary positions
    final Block[] blocks;
    final INDArray lnfG;     // [1, d]
    final INDArray lnfB;     // null with RMSNorm (as every norm bias)
    final INDArray head;     // [V, d] when the output head is not tied

    static final class Block {
        INDArray ln1G, ln1B, wqkv, wo, ln2G, ln2B, w1, w2;   // wqkv [d, qkvWidth], w1 [d, mlpWidth]
        INDArray bqkv, bo, b1, b2;   // [1, n] each; null without biases (Qwen2: bqkv only)
        INDArray qNorm, kNorm;       // [1, headDim] per-head RMSNorm gains of queries and keys (Qwen3); else null
    }

    private long offset;
    private final INDArray flat;

    Weights(INDArray flat, LmConfig c) {
        this.flat = flat;
        int d = c.dModel();
        int h = c.hidden();
        boolean rms = c.llama() != null;
        tokEmb = take(c.vocabSize(), d);
        posEmb = rms ? null : take(c.context(), d);
        blocks = new Block[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            Block b = new Block();
            b.ln1G = take(1, d);
            b.ln1B = rms ? null : take(1, d);
            b.wqkv = take(d, c.qkvWidth());
            b.bqkv = c.biases() || rms && c.llama().qkvBias() ? take(1, c.qkvWidth()) : null;
            b.qNorm = rms && c.llama().qkNorm() ? take(1, c.headDim()) : null;
            b.kNorm = rms && c.llama().qkNorm() ? take(1, c.headDim()) : null;
            b.wo = take(c.attnWidth(), d);
            b.bo = c.biases() ? take(1, d) : null;
            b.ln2G = take(1, d);
            b.ln2B = rms ? null : take(1, d);
            b.w1 = take(d, c.mlpWidth());
            b.b1 = c.biases() ? take(1, h) : null;
            b.w2 = take(h, d);
            b.b2 = c.biases() ? take(1, d) : null;
            blocks[l] = b;
        }
        lnfG = take(1, d);
        lnfB = rms ? null : take(1, d);
        head = rms && !c.llama().tiedHead() ? take(c.vocabSize(), d) : null;
        if (offset != flat.length()) {
            throw new IllegalStateException("layout covers " + offset + " of " + flat.length() + " parameters");
        }
    }

    private INDArray take(long rows, long cols) {
        INDArray v = flat.get(NDArrayIndex.interval(offset, offset + rows * cols)).reshape('c', rows, cols);
        offset += rows * cols;
        return v;
    }
}
