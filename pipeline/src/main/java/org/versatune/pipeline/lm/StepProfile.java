package org.versatune.pipeline.lm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Optional wall-clock breakdown of a training step by part (ND4J's CPU ops are synchronous, so timing around
 * them is exact). Off unless {@code -Dversatune.lm.profile=true}; used by the LM benchmark's notes.
 */
public final class StepProfile {
    static final boolean ON = Boolean.getBoolean("versatune.lm.profile");
    private static final Map<String, long[]> TIMES = new LinkedHashMap<>();
    private static long last;

    private StepProfile() {
    }

    static void start() {
        if (ON) {
            last = System.nanoTime();
        }
    }

    /** Charges the time since the previous mark to {@code part}. */
    static void mark(String part) {
        if (ON) {
            long now = System.nanoTime();
            TIMES.computeIfAbsent(part, k -> new long[1])[0] += now - last;
            last = now;
        }
    }

    /** Milliseconds per part since the last reset. */
    public static synchronized Map<String, Double> snapshot() {
        Map<String, Double> m = new LinkedHashMap<>();
        TIMES.forEach((k, v) -> m.put(k, v[0] / 1e6));
        return m;
    }

    public static synchronized void reset() {
        TIMES.clear();
    }
}
