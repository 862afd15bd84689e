package org.versatune.pipeline.pretrain;

import java.util.Arrays;
import java.util.Locale;

/**
 * How pretraining cuts a document into windows, in one place: the document's tokens followed by the end token, cut
 * from its start into pieces of {@code context} tokens (the last one shorter); each window is the begin token and one
 * piece. The probe reads the model through the same cut: the first-token estimate counts windows and their openings,
 * the calibration continues window openings.
 */
public final class DocumentWindows {
    private DocumentWindows() {
    }

    /**
     * How pretraining lays documents out (docs/method.md section 0). {@code window-bos}: every window of a document
     * starts with the begin token (this project's own bases). {@code packed-eos}: documents end to end, each followed
     * by the end token, windows cut anywhere (GPT-2, Qwen). {@code document-bos}: the same with the begin token at each
     * document's start (Llama).
     */
    public enum Layout {
        WINDOW_BOS, PACKED_EOS, DOCUMENT_BOS;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Layout parse(String s) {
            for (Layout l : values()) {
                if (l.id().equals(s)) {
                    return l;
                }
            }
            throw new IllegalArgumentException("versatune.lm.pretrain.layout: unknown '" + s + "' (expected window-bos, "
                    + "packed-eos or document-bos)");
        }

        /** A document's tokens as they enter the packed stream (window-bos: as it is cut into windows). */
        public int[] document(int[] body, int bos, int eos) {
            int[] withEnd = withEnd(body, eos);
            if (this != DOCUMENT_BOS) {
                return withEnd;
            }
            int[] all = new int[withEnd.length + 1];
            all[0] = bos;
            System.arraycopy(withEnd, 0, all, 1, withEnd.length);
            return all;
        }
    }

    /** The document as pretraining reads it: its tokens and the end token. */
    public static int[] withEnd(int[] body, int eos) {
        int[] all = Arrays.copyOf(body, body.length + 1);
        all[body.length] = eos;
        return all;
    }

    /** Windows of a document of {@code length} tokens (end token included). */
    public static int count(int length, int context) {
        return (length + context - 1) / context;
    }

    /** Where window {@code chunk} starts in the document. */
    public static int start(int chunk, int context) {
        return chunk * context;
    }

    /** Window {@code chunk} of a document (end token included): the begin token, then up to context tokens. */
    public static int[] window(int[] document, int chunk, int context, int bos) {
        int start = start(chunk, context);
        int end = Math.min(document.length, start + context);
        int[] w = new int[end - start + 1];
        w[0] = bos;
        System.arraycopy(document, start, w, 1, end - start);
        return w;
    }
}
