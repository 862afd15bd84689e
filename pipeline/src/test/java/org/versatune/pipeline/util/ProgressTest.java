package org.versatune.pipeline.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ProgressTest {
    @Test
    void etaOfAResumedRunCountsOnlyTheWorkDoneInThisRun() {
        // Resumed at 200 of 500; 50 steps took 60 s, so the 250 left take 300 s (not 60 s as if 250 were done).
        Progress p = new Progress(LoggerFactory.getLogger(ProgressTest.class), "t", 200, 500);
        assertEquals(300.0, p.eta(60.0, 250), 1e-9);
        Progress fresh = new Progress(LoggerFactory.getLogger(ProgressTest.class), "t", 500);
        assertEquals(60.0, fresh.eta(60.0, 250), 1e-9);
    }

    @Test
    void formatsSecondsMinutesAndHours() {
        assertEquals("42s", Progress.formatSeconds(42));
        assertEquals("2m05s", Progress.formatSeconds(125));
        assertEquals("1h01m", Progress.formatSeconds(3660));
    }
}
