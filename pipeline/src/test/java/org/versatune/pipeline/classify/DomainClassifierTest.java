package org.versatune.pipeline.classify;

import java.util.Objects;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(SparkExtension.class)
class DomainClassifierTest {
    static final Settings SETTINGS = Settings.load(List.of(), List.of("classifier.num-features=65536", "classifier.max-iter=40"));
    static Dataset<Row> examples;
    static DomainClassifierModel model;

    @BeforeAll
    static void fit(SparkSession spark) {
        Ingest.Result in = Ingest.read(spark, SETTINGS, List.of(Samples.sft(), Samples.pretrain()), null);
        examples = ClassifierData.examples(in.records(), SETTINGS).cache();
        model = new DomainClassifier().configure(SETTINGS).fit(examples.filter(col("validation").equalTo(false)));
    }

    @Test
    void learnsTheSampleWellAboveChance() {
        Map<String, Object> m = ClassifierEvaluation.evaluate(model, examples.filter(col("validation")));
        Map<?, ?> all = (Map<?, ?>) m.get("all");
        assertThat(((Number) all.get("count")).longValue()).isGreaterThan(100);
        assertThat((Double) all.get("accuracy")).isGreaterThan(0.8);
        assertThat((Double) all.get("macro_f1")).isGreaterThan(0.75);
        assertThat(m).containsKeys("sft", "text", "confident");
    }

    @Test
    void outputsAProbabilityPerDomainThatSumsToOne(SparkSession spark) {
        Row r = model.transform(spark.sql("select 'The defendant appealed the ruling of the district court.' as text")).first();
        Map<String, Double> probs = r.getJavaMap(r.fieldIndex("probabilities"));
        assertThat(probs.keySet()).containsExactlyInAnyOrder("law", "medicine", "finance", "science", "code", "general");
        assertThat(probs.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-9));
        assertThat(r.getDouble(r.fieldIndex("confidence"))).isEqualTo(probs.values().stream().mapToDouble(d -> d).max().orElseThrow());
    }

    @Test
    void confidenceThresholdLabelsUncertainRecordsUnlabeled(SparkSession spark) {
        DomainClassifierModel strict = model.copy(new ParamMap()).setConfidenceThreshold(0.999999);
        Row r = strict.transform(spark.sql("select 'zzqx' as text")).first();
        assertThat(r.getString(r.fieldIndex("prediction"))).isEqualTo(Domains.UNLABELED);
        assertThat(model.classify("def add(a, b):\n    return a + b").domain()).isEqualTo("code");
    }

    @Test
    void saveLoadRoundTripGivesIdenticalPredictions(SparkSession spark, @TempDir Path dir) throws Exception {
        String path = dir.resolve("clf").toString();
        model.write().save(path);
        DomainClassifierModel back = DomainClassifierModel.load(path);
        assertThat(back.uid()).isEqualTo(model.uid());
        assertThat(back.domains()).isEqualTo(model.domains());
        assertThat(back.getConfidenceThreshold()).isEqualTo(model.getConfidenceThreshold());
        Dataset<Row> sample = examples.limit(200);
        List<Row> a = model.transform(sample).select("id", "prediction", "confidence").orderBy("id").collectAsList();
        List<Row> b = back.transform(sample).select("id", "prediction", "confidence").orderBy("id").collectAsList();
        assertThat(b).isEqualTo(a);
        assertThatThrownBy(() -> model.write().save(path)).hasMessageContaining("already exists");
    }

    @Test
    void estimatorParamsRoundTripAndItFitsInsideAPipeline(SparkSession spark, @TempDir Path dir) throws Exception {
        DomainClassifier est = new DomainClassifier().configure(SETTINGS).setMaxIter(5).setTextCol("body").setLabelCol("label");
        est.write().save(dir.resolve("est").toString());
        DomainClassifier back = DomainClassifier.load(dir.resolve("est").toString());
        for (Param<?> p : est.params()) {
            assertThat(Objects.deepEquals(back.getOrDefault(back.getParam(p.name())), est.getOrDefault(p)))
                    .as(p.name()).isTrue();
        }
        assertThat(back.uid()).isEqualTo(est.uid());

        Dataset<Row> train = examples.filter(col("validation").equalTo(false))
                .select(col("text").as("body"), col("domain").as("label"));
        PipelineModel pm = new Pipeline().setStages(new PipelineStage[]{back}).fit(train);
        pm.write().save(dir.resolve("pipeline").toString());
        Row r = PipelineModel.load(dir.resolve("pipeline").toString()).transform(train.limit(1)).first();
        assertThat(r.getString(r.fieldIndex("prediction"))).isIn(Domains.of(SETTINGS.domains().names()).names().toArray());
    }

    @Test
    void schemaErrorsNameTheColumns(SparkSession spark) {
        assertThatThrownBy(() -> model.transform(spark.sql("select 'x' as body")))
                .hasMessageContaining("the text column 'text' is missing").hasMessageContaining("[body]");
        assertThatThrownBy(() -> model.transform(spark.sql("select 1 as text")))
                .hasMessageContaining("must be a string, found int");
        assertThatThrownBy(() -> new DomainClassifier().fit(spark.sql("select 'x' as text, 'astrology' as domain")))
                .hasMessageContaining("[astrology] are not configured domains");
        assertThatThrownBy(() -> new DomainClassifier().fit(spark.sql("select 'x' as text, 'law' as domain")))
                .hasMessageContaining("no training records for domain(s) [medicine");
    }

    @Test
    void modelForOtherDomainsIsRefused() {
        assertThatThrownBy(() -> model.requireDomains(Domains.of("law", "code")))
                .hasMessageContaining("trained for domains [law, medicine").hasMessageContaining("[law, code]");
    }

    @Test
    void stageTrainsSavesMetricsAndClassifiesByDomain(SparkSession spark, @TempDir Path dir) throws Exception {
        String modelDir = dir.resolve("clf").toString();
        Map<String, Object> stats = ClassifierStage.train(spark, SETTINGS, List.of(Samples.sft()), modelDir, false);
        assertThat((Double) stats.get("validation_macro_f1")).isGreaterThan(0.7);
        assertThat(Files.readString(dir.resolve("clf/metrics.json"))).contains("\"confusion\"");
        Map<String, Object> cls = ClassifierStage.classify(spark, SETTINGS, modelDir, List.of(Samples.sft("code")),
                dir.resolve("classified").toString(), false);
        @SuppressWarnings("unchecked")
        Map<String, Long> byDomain = (Map<String, Long>) cls.get("by_domain");
        assertThat(byDomain.get("code")).isGreaterThan(250L);
        assertThat(Files.isDirectory(dir.resolve("classified/classified/domain=code"))).isTrue();
        Map<String, Object> eval = ClassifierStage.evaluate(spark, SETTINGS, modelDir, List.of(Samples.sft("law")),
                dir.resolve("eval.json").toString(), false);
        assertThat(eval).containsKeys("accuracy", "macro_f1", "per_domain", "confusion");
        assertThatThrownBy(() -> ClassifierStage.load(spark, dir.toString(), SETTINGS))
                .hasMessageContaining("is not a domain classifier");
    }
}
