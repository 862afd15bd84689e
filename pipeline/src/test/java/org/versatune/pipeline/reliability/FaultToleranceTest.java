package org.versatune.pipeline.reliability;

import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.classify.DomainClassifier;
import org.versatune.pipeline.classify.DomainClassifierModel;
import org.versatune.pipeline.classify.ClassifierData;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.MemoryCheck;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.mixture.ComposeStage;
import org.versatune.pipeline.probe.ProbeGeneration;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;
import org.versatune.pipeline.util.FaultInjection;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Faults a pipeline survives: a task failing once (Spark retries it), a stage failing mid-write, and determinism. */
@ExtendWith(SparkExtension.class)
class FaultToleranceTest {
    static final Settings S = Settings.load(List.of(), List.of("classifier.num-features=65536", "classifier.max-iter=20",
            "probe.chunk-rows=16", "lm.generate.max-tokens=8"));
    static DomainClassifierModel clf;

    @BeforeAll
    static void classifier(SparkSession spark) {
        Dataset<Row> ex = ClassifierData.examples(Ingest.read(spark, S, List.of(Samples.sft()), null).records(), S);
        clf = new DomainClassifier().configure(S).fit(ex);
    }

    @AfterEach
    void disarm() {
        System.clearProperty("versatune.fault");
        FaultInjection.reset();
    }

    static <T> T withFault(String fault, Supplier<T> body) {
        System.setProperty("versatune.fault", fault);
        FaultInjection.reset();
        try {
            return body.get();
        } finally {
            System.clearProperty("versatune.fault");
        }
    }

    static List<Row> sorted(Dataset<Row> df, String... by) {
        return df.orderBy(by[0], Arrays.copyOfRange(by, 1, by.length)).collectAsList();
    }

    @Test
    void aTaskFailingOnceIsRetriedAndGivesIdenticalOutput(SparkSession spark) {
        // ingest
        List<Row> clean = sorted(Ingest.read(spark, S, List.of(Samples.sft()), null).records(), "id");
        List<Row> retried = withFault("task-once:ingest", () -> sorted(Ingest.read(spark, S, List.of(Samples.sft()), null).records(), "id"));
        assertThat(retried).isEqualTo(clean);
        // classify
        Dataset<Row> recs = Ingest.read(spark, S, List.of(Samples.sft("law"), Samples.sft("code")), null).records();
        List<Row> c1 = sorted(ClassifierStage.label(clf, recs), "id");
        List<Row> c2 = withFault("task-once:classify", () -> sorted(ClassifierStage.label(clf, recs), "id"));
        assertThat(c2).isEqualTo(c1);
        // probe generation
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held", "def f(x): return x"), 300);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 16, 32, 1, 2, 2, LmConfig.RELU);
        LmCheckpoint model = new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 1, DataType.FLOAT).params(), null, Map.of());
        List<Row> g1 = sorted(ProbeGeneration.generate(spark, S.with("probe.partitions", 3), model, 40, 5), "id");
        List<Row> g2 = withFault("task-once:probe", () -> sorted(ProbeGeneration.generate(spark, S.with("probe.partitions", 3), model, 40, 5), "id"));
        assertThat(g2).isEqualTo(g1);
    }

    @Test
    void composeSurvivesATaskFailureAndIsByteIdenticalAcrossInputPartitionings(SparkSession spark, @TempDir Path dir) throws Exception {
        String pool = dir.resolve("ingest").toString();
        Ingest.run(spark, S, List.of(Samples.sft()), null, pool, false);
        ComposeStage.Request r = new ComposeStage.Request("uniform", null, null, null, null, 500L, null, 2);
        Dataset<Row> one = ComposeStage.readPool(spark, S, List.of(pool + "/records")).repartition(1);
        Dataset<Row> four = ComposeStage.readPool(spark, S, List.of(pool + "/records")).repartition(4);
        ComposeStage.compose(spark, S, one, r, dir.resolve("m1").toString(), List.of());
        withFault("task-once:compose", () -> ComposeStage.compose(spark, S, four, r, dir.resolve("m4").toString(), List.of()));
        Map<String, String> a = fileHashes(dir.resolve("m1"));
        Map<String, String> b = fileHashes(dir.resolve("m4"));
        assertThat(a).hasSize(6).isEqualTo(b);
    }

    /** sha256 of every Parquet part file, keyed by its domain folder (file names carry a random job id). */
    static Map<String, String> fileHashes(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (File d : root.toFile().listFiles(File::isDirectory)) {
            for (File f : d.listFiles((x, n) -> n.endsWith(".parquet"))) {
                out.merge(d.getName(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f.toPath()))),
                        (x, y) -> x + "+" + y);
            }
        }
        return out;
    }

    @Test
    void aStageFailingMidWriteLeavesNoOutputAndTheNextRunStartsClean(SparkSession spark, @TempDir Path dir) throws Exception {
        String out = dir.resolve("ingest").toString();
        assertThatThrownBy(() -> withFault("task-always:ingest", () -> Ingest.run(spark, S, List.of(Samples.sft()), null, out, false)))
                .hasMessageContaining("injected task failure");
        assertThat(Files.exists(dir.resolve("ingest"))).as(Arrays.toString(dir.toFile().list())).isFalse();
        assertThat(Files.exists(dir.resolve(".ingest.tmp"))).as(Arrays.toString(dir.resolve(".ingest.tmp").toFile().list())).isFalse();
        // a process killed while writing leaves only its hidden temporary folder: invisible, removed by the next run
        Samples.write(dir.resolve(".ingest.tmp/records/part-0.parquet"), "half a file");
        Map<String, Object> stats = Ingest.run(spark, S, List.of(Samples.sft("law")), null, out, false);
        assertThat(stats).containsEntry("accepted", 320L);
        assertThat(Files.exists(dir.resolve("ingest/" + StageOutput.MARKER))).isTrue();
        assertThat(Files.exists(dir.resolve(".ingest.tmp"))).isFalse();
    }

    @Test
    void anUnwritableOutputIsAClearError(SparkSession spark, @TempDir Path dir) throws Exception {
        Path file = Samples.write(dir.resolve("a-file"), "x");
        assertThatThrownBy(() -> Ingest.run(spark, S, List.of(Samples.sft("law")), null, file.resolve("out").toString(), false))
                .hasMessageContaining("a-file");
    }

    @Test
    void aModelTooLargeForTheMemoryLimitFailsFastWithAdvice() {
        LmConfig huge = new LmConfig(50_000, 2048, 8192, 48, 64, 4, LmConfig.RELU);
        assertThatThrownBy(() -> MemoryCheck.requireTrainingFits(huge, 65_536, 2))
                .hasMessageContaining("off-heap memory").hasMessageContaining("tokens-per-batch").hasMessageContaining("maxbytes");
        MemoryCheck.requireTrainingFits(new LmConfig(300, 16, 32, 1, 2, 2, LmConfig.RELU), 512, 2);
    }
}
