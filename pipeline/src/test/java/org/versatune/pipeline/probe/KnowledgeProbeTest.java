package org.versatune.pipeline.probe;

import com.typesafe.config.Config;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.domain.ProbeDistributionFile;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.HfCheckpoint;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.pretrain.PretrainDocuments;
import org.versatune.pipeline.pretrain.PretrainStage;
import org.versatune.pipeline.pretrain.PretrainStageTest;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(SparkExtension.class)
class KnowledgeProbeTest {
    static final Settings S = Settings.load(List.of(), List.of("probe.chunk-rows=16", "lm.generate.max-tokens=12",
            "classifier.num-features=65536", "classifier.max-iter=30"));

    static LmCheckpoint tinyModel() {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held", "def f(x): return x", "blood pressure"), 300);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 16, 32, 1, 2, 2, LmConfig.RELU);
        return new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 3, DataType.FLOAT).params(), null, Map.of());
    }

    @Test
    void generationDependsOnTheSeedNotOnThePartitioning(SparkSession spark) {
        LmCheckpoint m = tinyModel();
        Settings two = S.with("probe.partitions", 2);
        Settings five = S.with("probe.partitions", 5);
        List<Row> a = ProbeGeneration.generate(spark, two, m, 70, 11).orderBy("id").collectAsList();
        List<Row> b = ProbeGeneration.generate(spark, five, m, 70, 11).orderBy("id").collectAsList();
        List<Row> c = ProbeGeneration.generate(spark, two, m, 70, 12).orderBy("id").collectAsList();
        assertThat(a).hasSize(70).isEqualTo(b).isNotEqualTo(c);
        assertThat(a.get(69).getString(0)).isEqualTo("s00004-005");
    }

    /** An imported checkpoint (its tokenizer travels to the executors as tokenizer.json) generates like ours. */
    @Test
    void anImportedLlamaGeneratesOnTheExecutors(SparkSession spark) {
        LmCheckpoint llama = HfCheckpoint.read(Path.of("src/test/resources/hf-llama"));
        List<Row> a = ProbeGeneration.generate(spark, S, llama, 20, 11).orderBy("id").collectAsList();
        assertThat(a).hasSize(20).isEqualTo(ProbeGeneration.generate(spark, S, llama, 20, 11).orderBy("id").collectAsList());
        assertThat(a).allSatisfy(r -> assertThat(r.getString(2)).isNotEmpty());
    }

    @Test
    @SuppressWarnings("unchecked")
    void distributionReportsEveryEstimatorTheDefaultAsCorrectedAndAVerdict() {
        Domains d = Domains.of("a", "b");
        Config probe = S.with("probe.interval-draws", 200).section("probe");
        // 11 texts labelled a, 15 labelled b, 14 unlabeled; calibration as in QuantifiersTest
        Quantifiers.Labels samples = QuantifiersTest.labels(new int[]{11, 15, 14}, QuantifiersTest.ONE_HOT);
        ProbeCalibration.Result cal = new ProbeCalibration.Result(QuantifiersTest.calibration(), new long[][]{{8, 0, 2}, {1, 5, 4}},
                "inputs", List.of("cal"), Map.of("a", List.of("a-txt-1")), 0, 10, 16, List.of());
        Map<String, Object> m = ProbeDistribution.build(d, new ProbeDistribution.Evidence(samples, cal, null, null, new double[][]{{0.9, 0.1}, {0.1, 0.9}}, null), probe, 1).toJson();
        Map<String, Map<String, Object>> per = (Map<String, Map<String, Object>>) m.get("domains");
        assertThat((Double) per.get("a").get("raw")).isCloseTo(11 / 26.0, within(1e-12));
        Map<String, Object> estimates = (Map<String, Object>) m.get("estimates");
        assertThat(estimates).containsKeys("raw", "acc", "pacc", "em", "ml", "confusion");
        assertThat(m).containsEntry("estimator", "pacc").containsEntry("unlabeled", 14L).containsEntry("labeled", 26L);
        assertThat(per.get("a").get("corrected")).isEqualTo(((Map<String, Object>) ((Map<String, Object>) estimates.get("pacc")).get("shares")).get("a"));
        assertThat((Double) per.get("a").get("corrected_low")).isLessThan((Double) per.get("a").get("corrected"));
        assertThat(((Map<String, Object>) m.get("calibration")).get("spread_sd")).isNotNull();
        // 26 of 40 labelled passes the 50% bar; 10 calibration rows per domain leave intervals far wider than 0.2
        Map<String, Object> trust = (Map<String, Object>) m.get("trust");
        assertThat(trust).containsEntry("verdict", "untrusted").containsEntry("calibration", true);
        // and the default (first-token) could not run: its stand-in is named as a reason too
        assertThat((List<String>) trust.get("reasons")).hasSize(2).anyMatch(r -> r.contains("95% interval") && r.contains("over 0.20"))
                .anyMatch(r -> r.contains("first-token estimate could not run"));

        // without a calibration the default falls back to raw, and says so; few labelled samples are named
        Map<String, Object> none = ProbeDistribution.build(d, new ProbeDistribution.Evidence(QuantifiersTest.labels(new int[]{2, 1, 37}, QuantifiersTest.ONE_HOT),
                null, null, null, null, null), probe, 1).toJson();
        assertThat(none).containsEntry("estimator", "raw");
        assertThat((List<String>) ((Map<String, Object>) none.get("trust")).get("reasons"))
                .anyMatch(r -> r.startsWith("3 of 40 samples labelled")).anyMatch(r -> r.startsWith("no calibration"));

        // many well-labelled samples and a sharp calibration, pacc asked for by name: trusted by its own criteria
        ProbeCalibration.Result sharp = new ProbeCalibration.Result(sharpCalibration(), new long[][]{{300, 0, 0}, {0, 300, 0}},
                "heldout", List.of("cal"), Map.of(), 0, 300, 16, List.of());
        Map<String, Object> good = ProbeDistribution.build(d, new ProbeDistribution.Evidence(QuantifiersTest.labels(new int[]{600, 1400, 0}, QuantifiersTest.ONE_HOT),
                sharp, null, null, null, null), S.with("probe.interval-draws", 200).with("probe.estimator", "pacc").section("probe"), 1).toJson();
        assertThat((Map<String, Object>) good.get("trust")).containsEntry("verdict", "trusted");
        assertThat(ProbeDistributionFile.parse(good, d, "corrected", "good").sharesForWeights(false)[0]).isCloseTo(0.3, within(0.01));
    }

    /**
     * Under a packed layout the samples open documents: their shares become token shares through the reference's mean
     * document lengths, point and interval alike, and the document shares are kept beside them.
     */
    @Test
    @SuppressWarnings("unchecked")
    void samplesThatOpenDocumentsAreTurnedIntoTokenSharesByDocumentLength() {
        Domains d = Domains.of("a", "b");
        Config probe = S.with("probe.interval-draws", 200).with("probe.estimator", "raw").section("probe");
        Quantifiers.Labels samples = QuantifiersTest.labels(new int[]{600, 1400, 0}, QuantifiersTest.ONE_HOT);
        // raw document shares 0.3 / 0.7; documents of 100 and 300 tokens: 30 / (30 + 210) = 0.125 of the tokens
        Map<String, Object> packed = ProbeDistribution.build(d, new ProbeDistribution.Evidence(samples, null, null, null, null,
                null, true, new double[]{100, 300}), probe, 1).toJson();
        Map<String, Object> raw = ((Map<String, Map<String, Object>>) packed.get("estimates")).get("raw");
        assertThat((Map<String, Double>) raw.get("shares")).hasEntrySatisfying("a", v -> assertThat(v).isCloseTo(0.125, within(1e-12)));
        assertThat((Map<String, Double>) raw.get("document_shares")).hasEntrySatisfying("a", v -> assertThat(v).isCloseTo(0.3, within(1e-12)));
        assertThat((String) raw.get("shares_of")).startsWith("tokens (the samples open documents");
        // every draw is converted: the interval surrounds the converted point, far from the document share
        assertThat((Map<String, Double>) raw.get("high")).hasEntrySatisfying("a", v -> assertThat(v).isBetween(0.125, 0.2));
        assertThat((Map<String, Double>) raw.get("low")).hasEntrySatisfying("a", v -> assertThat(v).isBetween(0.08, 0.125));
        // no lengths (no reference text): document shares, and said so
        Map<String, Object> unread = ((Map<String, Map<String, Object>>) ProbeDistribution.build(d, new ProbeDistribution.Evidence(
                samples, null, null, null, null, null, true, null), probe, 1).toJson().get("estimates")).get("raw");
        assertThat((Map<String, Double>) unread.get("shares")).hasEntrySatisfying("a", v -> assertThat(v).isCloseTo(0.3, within(1e-12)));
        assertThat((String) unread.get("shares_of")).startsWith("documents");
        assertThat(unread).doesNotContainKey("document_shares");
        // and the verdict says the shares compose would read are document shares
        Map<String, Object> verdict = (Map<String, Object>) ProbeDistribution.build(d, new ProbeDistribution.Evidence(
                samples, null, null, null, null, null, true, null), probe, 1).toJson().get("trust");
        assertThat(verdict).containsEntry("verdict", "untrusted");
        assertThat((List<String>) verdict.get("reasons")).anyMatch(r -> r.contains("document shares, not token shares"));
        assertThat((List<String>) ((Map<String, Object>) packed.get("trust")).get("reasons"))
                .noneMatch(r -> r.contains("document shares, not token shares"));
    }

    /** The first-token estimate, when there is one and it is the default, is what compose reads. */
    @Test
    @SuppressWarnings("unchecked")
    void firstTokenIsTheDefaultWhenItCanRunAndIsJudgedByItsFit() {
        Domains d = Domains.of("a", "b");
        Config probe = S.with("probe.interval-draws", 200).section("probe");
        // hardly any sample labelled: it does not matter to an estimate that reads the model
        Quantifiers.Labels samples = QuantifiersTest.labels(new int[]{2, 1, 37}, QuantifiersTest.ONE_HOT);
        ProbeCalibration.Result sharp = new ProbeCalibration.Result(sharpCalibration(), new long[][]{{300, 0, 0}, {0, 300, 0}},
                "heldout", List.of("cal"), Map.of(), 0, 300, 16, List.of());
        Quantifiers.Estimate e = new Quantifiers.Estimate(new double[]{0.3, 0.7}, new double[]{0.28, 0.66},
                new double[]{0.34, 0.72}, new double[]{0.01, 0.01});
        FirstTokenMixture.Result good = new FirstTokenMixture.Result(e, new double[]{0.32, 0.68}, 0.03, 30000,
                new long[]{10, 12}, new long[]{40, 44}, 200, 12, true);
        Map<String, Object> m = ProbeDistribution.build(d, new ProbeDistribution.Evidence(samples, sharp, good, null, null, null), probe, 1).toJson();
        assertThat(m).containsEntry("estimator", "first-token");
        assertThat(((Map<String, Map<String, Object>>) m.get("domains")).get("a")).containsEntry("corrected", 0.3)
                .containsEntry("corrected_low", 0.28);
        assertThat((Map<String, Object>) ((Map<String, Object>) m.get("estimates")).get("first-token"))
                .containsEntry("kl_nats", 0.03).containsKeys("window_shares", "reference_documents");
        assertThat((Map<String, Object>) m.get("trust")).containsEntry("verdict", "trusted");

        // a model the mixture explains badly: untrusted, and the reason names the fit
        FirstTokenMixture.Result poor = new FirstTokenMixture.Result(e, new double[]{0.32, 0.68}, 0.4, 2500,
                new long[]{10, 12}, new long[]{40, 44}, 200, 12, true);
        Map<String, Object> t = (Map<String, Object>) ProbeDistribution.build(d, new ProbeDistribution.Evidence(samples, sharp, poor, null, null, null), probe, 1).toJson().get("trust");
        assertThat(t).containsEntry("verdict", "untrusted");
        assertThat((List<String>) t.get("reasons")).singleElement().asString().contains("0.400 nats").contains("probe.estimator=pacc");

        // no model to read (samples made elsewhere): the calibrated sample estimate, and estimator_fallback says why
        ProbeDistribution.Result typed = ProbeDistribution.build(d, new ProbeDistribution.Evidence(QuantifiersTest.labels(
                new int[]{600, 1400, 0}, QuantifiersTest.ONE_HOT), sharp, null, null, null, null), probe, 1);
        assertThat(typed.estimator()).isEqualTo("pacc");
        assertThat(typed.notRun()).containsOnlyKeys("first-token");
        // the stand-in for the default is the same estimate with or without a model: not trusted either way
        assertThat(typed.trust().trusted()).isFalse();
        assertThat(typed.trust().reasons()).singleElement().asString().contains("needs the model").contains("TV 0.05-0.26");
        Map<String, Object> without = typed.toJson();
        assertThat(without).containsEntry("estimator", "pacc");
        assertThat((String) without.get("estimator_fallback")).contains("first-token").contains("needs the model");
        assertThat((Map<String, Object>) without.get("estimators_not_run")).containsOnlyKeys("first-token");
        // a model given whose layout (or reference text) does not support first-token: the stand-in is not trusted
        ProbeDistribution.Result unread = ProbeDistribution.build(d, new ProbeDistribution.Evidence(QuantifiersTest.labels(
                new int[]{600, 1400, 0}, QuantifiersTest.ONE_HOT), sharp, null, "the model does not record its layout", null, null),
                probe, 1);
        assertThat(unread.estimator()).isEqualTo("pacc");
        assertThat(unread.trust().trusted()).isFalse();
        assertThat(unread.trust().reasons()).singleElement().asString().contains("does not record its layout");
        assertThat(unread.notRun()).containsEntry("first-token", "the model does not record its layout");
        assertThat((Map<String, Object>) without.get("trust")).containsEntry("verdict", "untrusted");
    }

    static Quantifiers.Calibration sharpCalibration() {
        int[] truth = new int[600];
        int[] label = new int[600];
        double[][] post = new double[600][];
        for (int i = 0; i < 600; i++) {
            truth[i] = i < 300 ? 0 : 1;
            label[i] = truth[i];
            post[i] = QuantifiersTest.ONE_HOT[truth[i]];
        }
        return new Quantifiers.Calibration(truth, new Quantifiers.Labels(label, post));
    }

    @Test
    @SuppressWarnings("unchecked")
    void endToEndWritesSamplesAndDistribution(SparkSession spark, @TempDir Path dir) throws Exception {
        String clf = dir.resolve("clf").toString();
        ClassifierStage.train(spark, S, List.of(Samples.sft(), Samples.pretrain()), clf, false);
        String model = dir.resolve("model").toString();
        tinyModel().save(spark.sparkContext().hadoopConfiguration(), model);
        Map<String, Object> stats = KnowledgeProbe.run(spark, S, model, clf, 40, dir.resolve("probe").toString(), false);
        assertThat(stats).containsEntry("samples", 40);
        assertThat(((Number) stats.get("labeled")).longValue() + ((Number) stats.get("unlabeled")).longValue()).isEqualTo(40);
        String json = Files.readString(dir.resolve("probe/distribution.json"));
        assertThat(json).contains("\"raw\"", "\"corrected\"", "\"low\"", "\"high\"", "\"count\"", "\"settings\"", "\"repetition-penalty\"");
        assertThat(Files.isDirectory(dir.resolve("probe/samples"))).isTrue();

        // with a calibration folder: every domain's window openings continued, labels counted per true domain
        // (pacc: the estimate from texts alone, which the texts made elsewhere below can give again without the model)
        Settings cal = S.with("probe.estimator", "pacc").with("probe.calibration.input", List.of(Samples.pretrain()))
                .with("probe.calibration.prompts-per-domain", 5)
                .with("probe.calibration.prompt-tokens", 4).with("probe.calibration.iterations", 2000).with("probe.interval-draws", 50);
        KnowledgeProbe.run(spark, cal, model, clf, 40, dir.resolve("probe-cal").toString(), false);
        Map<String, Object> dist = Json.readMap(new Configuration(), dir.resolve("probe-cal/distribution.json").toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> calibration = (Map<String, Object>) dist.get("calibration");
        assertThat(calibration).containsEntry("source", "inputs");
        @SuppressWarnings("unchecked")
        List<List<Number>> counts = (List<List<Number>>) calibration.get("counts");
        assertThat(counts).hasSize(S.domains().size());
        for (List<Number> row : counts) {
            assertThat(row).hasSize(S.domains().size() + 1);
            assertThat(row.stream().mapToLong(Number::longValue).sum()).isEqualTo(5);
        }
        double[] corrected = ProbeDistributionFile.parse(dist, S.domains(), "corrected", "d").shares();
        assertThat(Arrays.stream(corrected).sum()).isCloseTo(1.0, within(1e-9));
        assertThat(dist).containsEntry("estimator", "pacc").containsKeys("estimates", "trust");

        // the same texts made elsewhere: its samples (Parquet with id and text) and its calibration continuations
        // (JSON Lines with the prompts' domains), given without a model, give the same estimate to the last digit
        String samplesDir = dir.resolve("probe-cal/samples").toString();
        Map<String, Object> again = KnowledgeProbe.run(spark, cal, null, clf, null, new KnowledgeProbe.External(
                List.of(samplesDir), List.of(dir.resolve("probe-cal/" + KnowledgeProbe.CALIBRATION_SAMPLES).toString())),
                dir.resolve("probe-ext").toString(), false);
        assertThat(again).containsEntry("samples", 40);
        Map<String, Object> ext = Json.readMap(new Configuration(), dir.resolve("probe-ext/distribution.json").toString());
        // every estimate from the texts is the same; the first-token one needs the model, which is not given here
        Map<String, Object> fromTexts = new LinkedHashMap<>((Map<String, Object>) dist.get("estimates"));
        assertThat(fromTexts.remove("first-token")).isNotNull();
        assertThat(ext.get("estimates")).isEqualTo(fromTexts);
        assertThat(ext.get("trust")).isEqualTo(dist.get("trust"));
        assertThat(((Map<?, ?>) ext.get("calibration")).get("counts")).isEqualTo(calibration.get("counts"));
        // a sample without text is refused naming the file, the record and the field
        Path bad = Samples.write(dir.resolve("bad.jsonl"), "{\"id\": \"a\", \"text\": \"fine\"}\n{\"id\": \"b\", \"txt\": \"typo\"}\n");
        assertThatThrownBy(() -> KnowledgeProbe.run(spark, cal, null, clf, null, new KnowledgeProbe.External(
                List.of(bad.toString()), List.of(dir.resolve("probe-cal/" + KnowledgeProbe.CALIBRATION_SAMPLES).toString())),
                dir.resolve("probe-bad").toString(), false)).hasMessageContaining("bad.jsonl line 2").hasMessageContaining("'text'");
        assertThat(dir.resolve("probe-bad")).doesNotExist();
    }

    /** Calibration text is never text the base was pretrained on: held-out documents by default, trained ones left out. */
    @Test
    @SuppressWarnings("unchecked")
    void calibrationNeverReadsAPretrainingDocument(SparkSession spark, @TempDir Path dir) throws Exception {
        Settings s = PretrainStageTest.TINY.with("lm.pretrain.heldout-fraction", 0.3).with("probe.chunk-rows", 16)
                .with("lm.generate.max-tokens", 8).with("probe.calibration.prompts-per-domain", 6)
                .with("probe.calibration.prompt-tokens", 4).with("probe.interval-draws", 50)
                .with("classifier.num-features", 65536).with("classifier.max-iter", 10);
        String base = dir.resolve("base").toString();
        PretrainStage.run(spark, s, List.of(Samples.pretrain()), MixtureWeights.parse(s.domains(),
                "law=0.2,medicine=0.2,finance=0.1,science=0.1,code=0.2,general=0.2"), 6000, base, false, false);
        Configuration conf = new Configuration();
        PretrainDocuments docs = PretrainDocuments.read(conf, base);
        assertThat(docs.heldoutIds()).isNotEmpty().doesNotContainAnyElementsOf(docs.trainedIds());
        // 6,000 tokens reach only some documents: the others are recorded as unselected, not as trained on
        List<String> unselected = new ArrayList<>();
        docs.unselected().values().forEach(unselected::addAll);
        assertThat(unselected).isNotEmpty().doesNotContainAnyElementsOf(docs.trainedIds()).doesNotContainAnyElementsOf(docs.heldoutIds());
        String clf = dir.resolve("clf").toString();
        ClassifierStage.train(spark, s, List.of(Samples.sft()), clf, false);

        // default: the base's held-out documents
        KnowledgeProbe.run(spark, s, base, clf, 20, dir.resolve("probe").toString(), false);
        Map<String, Object> dist = Json.readMap(conf, dir.resolve("probe/distribution.json").toString());
        assertThat(dist).containsEntry("estimator", "first-token");
        assertThat((Map<String, Object>) dist.get("estimates")).containsKeys("first-token", "pacc", "raw");
        Map<String, Object> cal = (Map<String, Object>) dist.get("calibration");
        assertThat(cal).containsEntry("source", "heldout");
        List<String> used = new ArrayList<>();
        ((Map<String, List<String>>) cal.get("documents")).values().forEach(used::addAll);
        assertThat(used).isNotEmpty().allMatch(docs.heldoutIds()::contains).doesNotContainAnyElementsOf(docs.trainedIds());
        // the first-token estimate counts the tokens of every pretraining document (the model reads none of them);
        // told not to, the held-out ones only
        List<String> reference = new ArrayList<>();
        ((Map<String, List<String>>) dist.get("first_token_documents")).values().forEach(reference::addAll);
        assertThat(reference).containsAll(docs.heldoutIds()).containsAll(docs.trainedIds());
        KnowledgeProbe.run(spark, s.with("probe.first-token.include-trained", false), base, clf, 20,
                dir.resolve("probe-heldout").toString(), false);
        List<String> heldoutOnly = new ArrayList<>();
        ((Map<String, List<String>>) Json.readMap(conf, dir.resolve("probe-heldout/distribution.json").toString())
                .get("first_token_documents")).values().forEach(heldoutOnly::addAll);
        assertThat(heldoutOnly).containsExactlyInAnyOrderElementsOf(docs.heldoutIds());

        // a folder that holds the pretraining text: what the base trained on is left out, and counted
        KnowledgeProbe.run(spark, s.with("probe.calibration.input", List.of(Samples.pretrain())), base, clf, 20,
                dir.resolve("probe-folder").toString(), false);
        Map<String, Object> cal2 = (Map<String, Object>) Json.readMap(conf, dir.resolve("probe-folder/distribution.json").toString())
                .get("calibration");
        assertThat(((Number) cal2.get("excluded_trained_documents")).longValue()).isEqualTo(docs.trainedIds().size());
        List<String> used2 = new ArrayList<>();
        ((Map<String, List<String>>) cal2.get("documents")).values().forEach(used2::addAll);
        assertThat(used2).isNotEmpty().doesNotContainAnyElementsOf(docs.trainedIds());

        // prompts longer than any document: no calibration, said so; the first-token estimate still runs on the text
        KnowledgeProbe.run(spark, s.with("probe.calibration.prompt-tokens", 100000), base, clf, 20,
                dir.resolve("probe-long").toString(), false);
        Map<String, Object> longDist = Json.readMap(conf, dir.resolve("probe-long/distribution.json").toString());
        assertThat(longDist).containsEntry("estimator", "first-token").doesNotContainKey("calibration");
        assertThat(((Map<String, Object>) longDist.get("evidence")).get("calibration").toString())
                .startsWith("none: the base held out no document of domain");
        // calibration continuations made elsewhere with the model: the first-token estimate runs as well
        KnowledgeProbe.run(spark, s, base, clf, 20, new KnowledgeProbe.External(null,
                List.of(dir.resolve("probe/calibration-samples.jsonl").toString())), dir.resolve("probe-ext").toString(), false);
        Map<String, Object> ext = Json.readMap(conf, dir.resolve("probe-ext/distribution.json").toString());
        assertThat(ext).containsEntry("estimator", "first-token");
        assertThat(((Map<String, Object>) ((Map<String, Object>) ext.get("estimates")).get("first-token")).get("interval_draws"))
                .isEqualTo(50);

        // the model moved with its data to another root: without --data-root the probe says what to pass; with it, it reads
        Path moved = dir.resolve("elsewhere");
        FileUtils.copyDirectory(dir.resolve("base").toFile(), moved.resolve("model").toFile());
        FileUtils.copyDirectory(Path.of(Samples.pretrain()).toFile(), moved.resolve("data/pretrain").toFile());
        PretrainDocuments record = PretrainDocuments.read(conf, base);
        assertThat(record.files()).allMatch(f -> f.startsWith(Path.of(Samples.pretrain()).getFileName() + "/"));
        Json.write(conf, moved.resolve("model/" + PretrainDocuments.FILE).toString(), Map.of("inputs", record.inputs(),
                "data_root", "DATA_DIR", "files", record.files(), "seed", record.seed(), "heldout_fraction", record.heldoutFraction(),
                "heldout", record.heldout(), "trained", record.trained()));
        KnowledgeProbe.run(spark, s, moved.resolve("model").toString(), clf, 20, dir.resolve("probe-moved").toString(), false);
        Map<String, Object> lost = Json.readMap(conf, dir.resolve("probe-moved/distribution.json").toString());
        assertThat(lost).containsEntry("estimator", "raw");
        assertThat(((Map<String, Object>) lost.get("evidence")).get("reference_text").toString()).contains("--data-root");
        KnowledgeProbe.run(spark, s.with("probe.data-root", moved.resolve("data").toString()), moved.resolve("model").toString(),
                clf, 20, dir.resolve("probe-root").toString(), false);
        assertThat(Json.readMap(conf, dir.resolve("probe-root/distribution.json").toString())).containsEntry("estimator", "first-token");

        // a model that does not say how it was pretrained (as an imported one): first-token does not run, and the
        // verdict says why and what to set; named, the layout is read as given
        String state = moved.resolve("model/state.json").toString();
        Map<String, Object> asImported = new LinkedHashMap<>(Json.readMap(conf, state));
        assertThat(asImported.remove("layout")).isEqualTo("window-bos");
        asImported.put(HfCheckpoint.IMPORTED_FROM, "huggingface-llama");
        Json.write(conf, state, asImported);
        Settings rooted = s.with("probe.data-root", moved.resolve("data").toString());
        KnowledgeProbe.run(spark, rooted, moved.resolve("model").toString(), clf, 20, dir.resolve("probe-imported").toString(), false);
        Map<String, Object> imported = Json.readMap(conf, dir.resolve("probe-imported/distribution.json").toString());
        assertThat(imported.get("estimator")).isNotEqualTo("first-token");
        assertThat(((Map<String, Object>) imported.get("trust")).get("verdict")).isEqualTo("untrusted");
        assertThat(((Map<String, Object>) imported.get("evidence")).get("first_token").toString()).contains("versatune.probe.layout");
        KnowledgeProbe.run(spark, rooted.with("probe.layout", "window-bos"), moved.resolve("model").toString(), clf, 20,
                dir.resolve("probe-named").toString(), false);
        assertThat(Json.readMap(conf, dir.resolve("probe-named/distribution.json").toString())).containsEntry("estimator", "first-token");
    }
}
