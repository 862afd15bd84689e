package org.versatune.pipeline.util;

import java.nio.charset.StandardCharsets;

/**
 * Seeds derived from the run's seed and a path of names/numbers, so every random choice is reproducible and
 * independent of the order in which work happens (partitions, executors, retries).
 */
public final class Seeds {
    private Seeds() {
    }

    public static long derive(long seed, Object... path) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        for (Object p : path) {
            h = mix(h ^ hash(String.valueOf(p)));
        }
        return h;
    }

    /** A uniform double in [0, 1) from a seed and a key (e.g. a record id). */
    public static double uniform(long seed, String key) {
        return (derive(seed, key) >>> 11) * 0x1.0p-53;
    }

    public static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix(h);
    }

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
