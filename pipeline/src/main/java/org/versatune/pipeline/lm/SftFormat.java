package org.versatune.pipeline.lm;

import java.io.Serializable;
import java.util.Arrays;

/**
 * How SFT pairs and raw text become token sequences. An SFT example is
 * {@code <bos> instruction \n input <sep> output <eos>}; only the output tokens and the end token are
 * targets (the instruction and input are context). Long examples keep at most half the context for the
 * prompt (its end, nearest the response) and cut the response to fit.
 */
public final class SftFormat {
    private SftFormat() {
    }

    /** A token sequence and the first target position whose loss counts. */
    public record Example(int[] tokens, int lossFrom) implements Serializable {
        /** Number of targets that count. */
        public int targetCount() {
            return Math.max(0, tokens.length - 1 - lossFrom);
        }
    }

    public static String prompt(String instruction, String input) {
        return input == null || input.isBlank() ? instruction : instruction + "\n" + input;
    }

    public static Example sft(BpeTokenizer tok, String instruction, String input, String output, int context) {
        return pair(tok.specials(), tok.encode(prompt(instruction, input)), tok.encode(output), context);
    }

    /** {@code <bos> prompt <sep> response <eos>}, cut to {@code context + 1} tokens. */
    public static Example pair(BpeTokenizer.Specials sp, int[] prompt, int[] response, int context) {
        int budget = context + 1;
        int maxPrompt = Math.max(1, budget / 2 - 2);
        int[] p = prompt.length > maxPrompt ? Arrays.copyOfRange(prompt, prompt.length - maxPrompt, prompt.length) : prompt;
        int room = budget - 2 - p.length; // bos + sep
        int[] r = response.length + 1 > room ? Arrays.copyOf(response, Math.max(0, room - 1)) : response;
        boolean withEos = r.length + 1 <= room;
        int[] out = new int[2 + p.length + r.length + (withEos ? 1 : 0)];
        out[0] = sp.bos();
        System.arraycopy(p, 0, out, 1, p.length);
        out[1 + p.length] = sp.sep();
        System.arraycopy(r, 0, out, 2 + p.length, r.length);
        if (withEos) {
            out[out.length - 1] = sp.eos();
        }
        return new Example(out, 1 + p.length);
    }

    /** A pretraining window: every target counts. */
    public static Example window(int[] tokens) {
        return new Example(tokens, 0);
    }
}
