package org.versatune.pipeline.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.testing.SparkExtension;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StageOutputTest {
    static void lockedBy(Path dir, long pid) throws Exception {
        Files.writeString(dir.resolve(".out.lock"), InetAddress.getLocalHost().getHostName() + " " + pid + " 2026-11-30T00:00:00Z\n");
    }

    @Test
    void aSecondRunWritingTheSameOutputIsRefusedWhileTheFirstLives(@TempDir Path dir) throws Exception {
        long other = ProcessHandle.current().parent().orElseThrow().pid();   // a live process that is not this one
        lockedBy(dir, other);
        assertThatThrownBy(() -> StageOutput.open(new Configuration(), dir.resolve("out").toString(), "ingest", false))
                .isInstanceOf(StageOutput.OutputExistsException.class)
                .hasMessageContaining("is being written by another run").hasMessageContaining(" " + other + " ")
                .hasMessageContaining(".out.lock");
        assertThat(dir.resolve(".out.tmp")).doesNotExist();
    }

    @Test
    void theLockOfARunThatIsGoneIsTakenOverAndReleasedAtCommit(@TempDir Path dir) throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        lockedBy(dir, p.pid());
        StageOutput out = StageOutput.open(new Configuration(), dir.resolve("out").toString(), "ingest", false);
        assertThat(Files.readString(dir.resolve(".out.lock"))).contains(" " + ProcessHandle.current().pid() + " ");
        out.commit(Map.of("n", 1), null);
        assertThat(dir.resolve(".out.lock")).doesNotExist();
        assertThat(dir.resolve("out/" + StageOutput.MARKER)).exists();
        // an aborted attempt releases its lock too
        StageOutput again = StageOutput.open(new Configuration(), dir.resolve("out2").toString(), "ingest", false);
        again.abort();
        assertThat(dir.resolve(".out2.lock")).doesNotExist();
    }

    /** The one stage shape every stage runs through: a failing body leaves nothing behind; success commits; then skip. */
    @Test
    @ExtendWith(SparkExtension.class)
    void theStageRunnerAbortsCommitsAndSkips(SparkSession spark, @TempDir Path dir) {
        String out = dir.resolve("out").toString();
        Settings settings = Settings.defaults();
        assertThatThrownBy(() -> StageOutput.run(spark, settings, out, "probe", false, o -> {
            Json.writeText(new Configuration(), o.path("half-written.json"), "{}");
            spark.sparkContext().setJobDescription("probe: failing on purpose");
            throw new IllegalStateException("the body failed");
        })).hasMessage("the body failed");
        assertThat(dir.resolve("out")).doesNotExist();
        assertThat(dir.resolve(".out.tmp")).doesNotExist();
        assertThat(dir.resolve(".out.lock")).doesNotExist();
        assertThat(spark.sparkContext().getLocalProperty("spark.job.description")).isNull();

        Map<String, Object> stats = StageOutput.run(spark, settings, out, "probe", false, o -> {
            Json.writeText(new Configuration(), o.path("result.json"), "{}");
            return Map.of("n", 1);
        });
        assertThat(stats).containsEntry("n", 1);
        assertThat(dir.resolve("out/result.json")).exists();
        assertThat(StageOutput.isComplete(new Configuration(), out, "probe")).isTrue();
        assertThat(Json.readMap(new Configuration(), dir.resolve("out/stats.json").toString())).containsEntry("stage", "probe");
        assertThat(dir.resolve("out/config.json")).exists();

        Map<String, Object> again = StageOutput.run(spark, settings, out, "probe", false, o -> {
            throw new AssertionError("a completed output must not run again");
        });
        assertThat(again).containsEntry("skipped", true).containsEntry("n", 1);
        // another stage's complete output is not this stage's: refused, not overwritten
        assertThatThrownBy(() -> StageOutput.run(spark, settings, out, "compose", false, o -> Map.of()))
                .isInstanceOf(StageOutput.OutputExistsException.class);
    }
}
