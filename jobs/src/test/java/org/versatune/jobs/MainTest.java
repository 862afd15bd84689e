package org.versatune.jobs;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import com.fasterxml.jackson.databind.JsonNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(SparkExtension.class)
class MainTest {
    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpListsEveryStage() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("ingest", "classifier", "classify", "demo");
    }

    /** picocli prints formatting problems (an unescaped %) to the process's stderr, not to the command's writer. */
    @Test
    void everyCommandsHelpRendersWithoutWarnings() {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (String cmd : new String[]{"ingest", "classifier", "classify", "pretrain", "evaluate", "probe", "compose",
                    "reference", "train", "experiment", "report", "demo", "bench", "score", "generate"}) {
                Result r = run(cmd, "--help");
                assertThat(r.code()).as(cmd).isZero();
                assertThat(r.out()).as(cmd).contains("Usage:");
            }
        } finally {
            System.setErr(saved);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("picocli").doesNotContain("WARN");
    }

    @Test
    void aDamagedParquetInputIsOneLineNamingTheFile(SparkSession spark, @TempDir Path dir) throws Exception {
        Path good = dir.resolve("good");
        spark.range(50).selectExpr("concat('id', id) as id", "'law' as domain", "'q' as instruction", "'a' as output")
                .coalesce(1).write().parquet(good.toString());
        Path part;
        try (var files = Files.list(good)) {
            part = files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        Path in = Files.createDirectories(dir.resolve("in"));
        byte[] all = Files.readAllBytes(part);
        Files.write(in.resolve("law.parquet"), Arrays.copyOf(all, all.length / 2));
        Result r = run("ingest", "--input", in.toString(), "--output", dir.resolve("out").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("law.parquet is not a Parquet file").contains("a Spark task failed");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void usageErrorsExitWithTwo() {
        Result r = run("ingest", "--output", "x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--input");
        assertThat(run("no-such-command").code()).isEqualTo(2);
    }

    @Test
    void configTypoFailsNamingTheNearestKey(SparkSession spark, @TempDir Path dir) {
        Result r = run("ingest", "--input", Samples.sft("law"), "--output", dir.resolve("o").toString(),
                "--set", "ingest.max-record-byte=10");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("unknown config key 'versatune.ingest.max-record-byte'")
                .contains("did you mean 'versatune.ingest.max-record-bytes'");
    }

    @Test
    void ingestThenClassifyEndToEnd(SparkSession spark, @TempDir Path dir) throws Exception {
        String ingest = dir.resolve("ingest").toString();
        Result r = run("ingest", "--input", Samples.sft(), "--output", ingest);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("ingest: read 1920 records: accepted 1920, rejected 0");

        String clf = dir.resolve("clf").toString();
        r = run("classifier", "train", "--input", ingest + "/records", "--output", clf,
                "--set", "classifier.num-features=65536", "--set", "classifier.max-iter=30");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("validation accuracy");

        r = run("classifier", "evaluate", "--model", clf, "--input", Samples.sft("medicine"),
                "--output", dir.resolve("eval.json").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readString(dir.resolve("eval.json"))).contains("\"macro_f1\"", "\"per_domain\"", "\"confusion\"");
        // the report file is never overwritten silently
        r = run("classifier", "evaluate", "--model", clf, "--input", Samples.sft("medicine"),
                "--output", dir.resolve("eval.json").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("already exists").contains("--overwrite");

        String out = dir.resolve("classified").toString();
        r = run("classify", "--model", clf, "--input", Samples.pretrain(), "--output", out);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("classify: 283 records");
        assertThat(Files.exists(dir.resolve("classified/_VERSATUNE_SUCCESS"))).isTrue();
        // a second run skips the completed output
        r = run("classify", "--model", clf, "--input", Samples.pretrain(), "--output", out);
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("skipped");
    }

    @Test
    void aModelFolderThatIsNotAClassifierIsAClearError(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("notamodel"));
        Files.writeString(dir.resolve("notamodel/readme.txt"), "hello");
        Result r = run("classify", "--model", dir.resolve("notamodel").toString(), "--input", Samples.sft("law"),
                "--output", dir.resolve("o").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("is not a domain classifier");
        assertThat(Files.exists(dir.resolve("o"))).isFalse();
    }

    /** score and generate: what anyone can compare with their own implementation. */
    @Test
    void scoreAndGreedyGenerateAreReproducible(SparkSession spark, @TempDir Path dir) throws Exception {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held that the statute applies", "def f(x): return x",
                "blood pressure and the heart", "interest rates and the market"), 320);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 48, 32, 1, 2, 2, LmConfig.RELU);
        String model = dir.resolve("model").toString();
        new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 3, DataType.FLOAT).params(), null, Map.of())
                .save(spark.sparkContext().hadoopConfiguration(), model);
        Path texts = Samples.write(dir.resolve("texts.jsonl"), "{\"id\": \"a\", \"text\": \"the court held\"}\n"
                + "{\"id\": \"b\", \"text\": \"def f(x): return x\"}\n");
        Result s = run("score", "--model", model, "--input", texts.toString(), "--output", dir.resolve("scores.json").toString());
        assertThat(s.code()).as(s.err()).isZero();
        JsonNode rows = Json.MAPPER.readTree(dir.resolve("scores.json").toFile());
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("id").asText()).isEqualTo("a");
        assertThat(rows.get(0).get("tokens").size()).isEqualTo(tok.encode("the court held").length);
        assertThat(rows.get(0).get("mean_nll").asDouble()).isPositive();
        assertThat(rows.get(1).get("top5_logits")).hasSize(5);
        Result g1 = run("generate", "--model", model, "--prompt", "the court", "--max-tokens", "6", "--greedy");
        Result g2 = run("generate", "--model", model, "--prompt", "the court", "--max-tokens", "6", "--greedy", "--seed", "9");
        assertThat(g1.code()).as(g1.err()).isZero();
        JsonNode out = Json.MAPPER.readTree(g1.out());
        assertThat(out.get("tokens").size()).isBetween(1, 6);
        assertThat(out.get("prompt_tokens").size()).isEqualTo(tok.encode("the court").length);
        assertThat(g2.out()).isEqualTo(g1.out());   // greedy: no randomness, whatever the seed
    }

    /** import -> generate (the reference's greedy tokens) -> export -> import again: the same model and scores. */
    @Test
    void importGenerateExportAndImportBack(@TempDir Path dir) throws Exception {
        Path fixture = Path.of("../pipeline/src/test/resources/hf-gpt2");
        JsonNode ref = Json.MAPPER.readTree(fixture.resolve("reference.json").toFile()).get("prompts").get(0);
        String model = dir.resolve("gpt2").toString();
        Result i = run("import", "--input", fixture.toString(), "--output", model);
        assertThat(i.code()).as(i.err()).isZero();
        assertThat(Json.MAPPER.readTree(i.out()).get("parameters").asLong()).isPositive();
        assertThat(run("import", "--input", fixture.toString(), "--output", model).err()).contains("--overwrite");
        Result g = run("generate", "--model", model, "--prompt", ref.get("text").asText(), "--max-tokens", "32", "--greedy");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(Json.MAPPER.readTree(g.out()).get("tokens")).isEqualTo(ref.get("greedy"));

        Path exported = dir.resolve("exported");
        Result e = run("export", "--model", model, "--output", exported.toString());
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(exported.resolve("model.safetensors")).exists();
        assertThat(run("export", "--model", model, "--output", exported.toString()).err()).contains("--overwrite");
        String back = dir.resolve("back").toString();
        assertThat(run("import", "--input", exported.toString(), "--output", back).code()).isZero();
        Path texts = Samples.write(dir.resolve("texts.jsonl"), "{\"id\": \"a\", \"text\": \"The court held that the contract\"}\n");
        run("score", "--model", model, "--input", texts.toString(), "--output", dir.resolve("a.json").toString());
        run("score", "--model", back, "--input", texts.toString(), "--output", dir.resolve("b.json").toString());
        assertThat(Files.readString(dir.resolve("b.json"))).isEqualTo(Files.readString(dir.resolve("a.json"))).contains("mean_nll");
    }
}
