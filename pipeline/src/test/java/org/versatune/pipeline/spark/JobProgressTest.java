package org.versatune.pipeline.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.versatune.pipeline.testing.SparkExtension;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(SparkExtension.class)
class JobProgressTest {
    /** Keeps what is logged at info. */
    static final class Captured extends LegacyAbstractLogger {
        final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg, Object[] args, Throwable t) {
            lines.add(MessageFormatter.basicArrayFormat(msg, args));
        }

        @Override public boolean isTraceEnabled() { return false; }
        @Override public boolean isDebugEnabled() { return false; }
        @Override public boolean isInfoEnabled() { return true; }
        @Override public boolean isWarnEnabled() { return true; }
        @Override public boolean isErrorEnabled() { return true; }
    }

    @Test
    void reportsEachFinishedJobUntilClosed(SparkSession spark) throws Exception {
        Captured log = new Captured();
        JobProgress p = JobProgress.start(spark.sparkContext(), log, "fit", 3, "evaluations");
        try (p) {
            spark.range(10).count();
            for (int i = 0; i < 100 && p.jobs() < 1; i++) {
                Thread.sleep(50);   // listener events arrive asynchronously
            }
        }
        assertThat(p.jobs()).isPositive();
        assertThat(log.lines).anySatisfy(l -> assertThat(l).startsWith("fit: 1/3 evaluations (33%)").contains("ETA"));
        long after = p.jobs();
        spark.range(10).count();
        Thread.sleep(300);
        assertThat(p.jobs()).as("closed: no longer listening").isEqualTo(after);
    }
}
