package org.versatune.jobs;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** kill -9 of the driver in the middle of a stage, then --resume: the same weights and model as an uninterrupted run. */
@ExtendWith(SparkExtension.class)
class KillAndResumeTest {
    @Test
    void aRunKilledMidStageResumesToTheSameResult(SparkSession spark, @TempDir Path dir) throws Exception {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held", "def f(x): return x", "blood pressure rose"), 320);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 48, 32, 1, 2, 2, LmConfig.RELU);
        String base = dir.resolve("base").toString();
        new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 4, DataType.FLOAT).params(), null, Map.of()).save(new Configuration(), base);
        Path ref = Samples.write(dir.resolve("ref.json"), "{\"law\": 3.0, \"medicine\": 3.5, \"finance\": 3.0, \"science\": 3.2, \"code\": 3.4, \"general\": 3.3}");
        List<String> args = new ArrayList<>(List.of("train", "--model", base, "--pool", Samples.sft(), "--eval", Samples.sft(),
                "--weights", "uniform", "--reference", ref.toString(), "--stages", "3", "--stage-size", "90",
                "--set", "lm.train.local-steps=2", "--set", "lm.train.tokens-per-batch=384", "--set", "lm.train.checkpoint-every=2",
                "--set", "train.eval-max-records=8", "--set", "train.update.eta=4", "--set", "lm.train.partitions=1",
                "--set", "spark.master=\"local[2]\""));

        String straight = dir.resolve("straight").toString();
        List<String> a = new ArrayList<>(args);
        a.addAll(List.of("--output", straight));
        StringWriter err = new StringWriter();
        assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), a.toArray(new String[0]))).as(err.toString()).isZero();

        // the same run in its own JVM, killed with SIGKILL once stage 2 has an in-stage checkpoint
        String killed = dir.resolve("killed").toString();
        List<String> cmd = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx2g"));
        cmd.addAll(jvmOpens());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        cmd.addAll(List.of("--output", killed));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        Path killedCheckpoint = Path.of(killed, ".stage-2.checkpoints", "latest", "params.bin");
        long deadline = System.currentTimeMillis() + 240_000;
        while (!Files.exists(killedCheckpoint) && p.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(Files.exists(killedCheckpoint)).as(Files.readString(dir.resolve("child.log"))).isTrue();
        p.destroyForcibly().waitFor();
        assertThat(Files.exists(Path.of(killed, "summary.json"))).isFalse();
        // a finished stage leaves no checkpoints behind (they live beside the stage's output)
        assertThat(Path.of(straight, "stage-2")).exists();
        assertThat(Path.of(straight, ".stage-2.checkpoints")).doesNotExist();

        List<String> r = new ArrayList<>(args);
        r.addAll(List.of("--output", killed, "--resume"));
        err = new StringWriter();
        assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), r.toArray(new String[0]))).as(err.toString()).isZero();
        Configuration conf = new Configuration();
        assertThat(Json.readMap(conf, killed + "/summary.json").get("final_weights"))
                .isEqualTo(Json.readMap(conf, straight + "/summary.json").get("final_weights"));
        assertThat(LmCheckpoint.load(conf, killed + "/model").params().toFloatVector())
                .isEqualTo(LmCheckpoint.load(conf, straight + "/model").params().toFloatVector());
        assertThat(Path.of(killed, ".stage-2.checkpoints")).as("the resumed run cleans up its checkpoints too").doesNotExist();
    }

    static List<String> jvmOpens() throws Exception {
        File home = new File(System.getProperty("versatune.home", ".."));
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(new File(home, "conf/jvm-options").toPath())) {
            if (!l.isBlank()) {
                out.add(l.trim());
            }
        }
        return out;
    }
}
