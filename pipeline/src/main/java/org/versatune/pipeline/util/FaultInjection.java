package org.versatune.pipeline.util;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failure points for reliability tests, off unless the system property {@code versatune.fault} names one:
 * {@code after-round:<step>} fails the driver after the training round ending at that step (its checkpoint is
 * written first); {@code task-once:<name>} fails the first attempt of a task at the named point (Spark retries it).
 */
public final class FaultInjection {
    private static final Set<String> FIRED = ConcurrentHashMap.newKeySet();

    private FaultInjection() {
    }

    /** Thrown at an injected failure point. */
    public static final class InjectedFault extends RuntimeException {
        public InjectedFault(String message) {
            super(message);
        }
    }

    public static boolean armed(String point) {
        String f = System.getProperty("versatune.fault");
        return f != null && f.equals(point);
    }

    /** Fails the driver when {@code after-round:<step>} is armed. */
    public static void afterRound(long step) {
        if (armed("after-round:" + step)) {
            throw new InjectedFault("injected failure after the training round ending at step " + step);
        }
    }

    /**
     * Fails a task's first attempt at {@code name} when {@code task-once:<name>} is armed, and every attempt when
     * {@code task-always:<name>} is (the property must reach the executor JVM; in local mode it does).
     */
    public static void task(String name, int attempt) {
        if (attempt == 0 && armed("task-once:" + name) && FIRED.add(name)) {
            throw new InjectedFault("injected task failure at " + name + " (first attempt)");
        }
        if (armed("task-always:" + name)) {
            throw new InjectedFault("injected task failure at " + name);
        }
    }

    /** True when any failure is armed at {@code name} (callers add their hook to the plan only then). */
    public static boolean armedAt(String name) {
        return armed("task-once:" + name) || armed("task-always:" + name);
    }

    /** Forgets which one-time failures fired (tests). */
    public static void reset() {
        FIRED.clear();
    }
}
