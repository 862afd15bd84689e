package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Named views into one flat parameter (or gradient) vector, in a fixed layout. */
final class Weights {
    final INDArray tokEmb;   // [V, d], also the output projection unless head is set
    final INDArray posEmb;   // [T, d]; null with rotary positions
    final Block[] blocks;
    final long[] blockStart; // where each block's parameters begin in the flat vector (each block is contiguous)
    final long blockLength;
    final INDArray lnfG;     // [1, d]
    final INDArray lnfB;     // null with RMSNorm (as every norm bias)
    final INDArray head;     // [V, d] when the output head is not tied

    static final class Block {
        INDArray ln1G, ln1B, wqkv, wo, ln2G, ln2B, w1, w2;   // wqkv [d, qkvWidth], w1 [d, mlpWidth]
        INDArray bqkv, bo, b1, b2;   // [1, n] each; null without biases (Qwen2: bqkv only)
        INDArray qNorm, kNorm;       // [1, headDim] per-head RMSNorm gains of queries and keys (Qwen3); else null

        /** One block's views into {@code flat}, which holds exactly one block's parameters (e.g. a widened copy). */
        static Block over(INDArray flat, LmConfig c) {
            Cursor at = new Cursor(flat);
            Block b = read(at, c);
            at.requireCovered();
            return b;
        }

        private static Block read(Cursor at, LmConfig c) {
            int d = c.dModel();
            int h = c.hidden();
            boolean rms = c.llama() != null;
            Block b = new Block();
            b.ln1G = at.take(1, d);
            b.ln1B = rms ? null : at.take(1, d);
            b.wqkv = at.take(d, c.qkvWidth());
            b.bqkv = c.biases() || rms && c.llama().qkvBias() ? at.take(1, c.qkvWidth()) : null;
            b.qNorm = rms && c.llama().qkNorm() ? at.take(1, c.headDim()) : null;
            b.kNorm = rms && c.llama().qkNorm() ? at.take(1, c.headDim()) : null;
            b.wo = at.take(c.attnWidth(), d);
            b.bo = c.biases() ? at.take(1, d) : null;
            b.ln2G = at.take(1, d);
            b.ln2B = rms ? null : at.take(1, d);
            b.w1 = at.take(d, c.mlpWidth());
            b.b1 = c.biases() ? at.take(1, h) : null;
            b.w2 = at.take(h, d);
            b.b2 = c.biases() ? at.take(1, d) : null;
            return b;
        }
    }

    /** Consecutive [rows, cols] views of a flat vector. */
    private static final class Cursor {
        private final INDArray flat;
        private long offset;

        Cursor(INDArray flat) {
            this.flat = flat;
        }

        INDArray take(long rows, long cols) {
            INDArray v = flat.get(NDArrayIndex.interval(offset, offset + rows * cols)).reshape('c', rows, cols);
            offset += rows * cols;
            return v;
        }

        void requireCovered() {
            if (offset != flat.length()) {
                throw new IllegalStateException("layout covers " + offset + " of " + flat.length() + " parameters");
            }
        }
    }

    Weights(INDArray flat, LmConfig c) {
        int d = c.dModel();
        boolean rms = c.llama() != null;
        Cursor at = new Cursor(flat);
        tokEmb = at.take(c.vocabSize(), d);
        posEmb = rms ? null : at.take(c.context(), d);
        blocks = new Block[c.layers()];
        blockStart = new long[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            blockStart[l] = at.offset;
            blocks[l] = Block.read(at, c);
        }
        blockLength = c.layers() == 0 ? 0 : (at.offset - blockStart[0]) / c.layers();
        lnfG = at.take(1, d);
        lnfB = rms ? null : at.take(1, d);
        head = rms && !c.llama().tiedHead() ? at.take(c.vocabSize(), d) : null;
        at.requireCovered();
    }
}
