package org.versatune.pipeline.io;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
