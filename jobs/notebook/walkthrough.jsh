// VersaTune from a notebook (JShell or any Java kernel): the library is Dataset<Row> in, Dataset<Row> out.
// Run from the repository root with jobs/notebook/run-walkthrough.sh (it puts the jar and Spark on the class path).
import java.util.*;
import org.apache.spark.sql.*;
import static org.apache.spark.sql.functions.*;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.spark.Sessions;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.classify.*;
import org.versatune.pipeline.lm.*;
import org.versatune.pipeline.probe.KnowledgeProbe;
import org.versatune.pipeline.mixture.*;
import org.versatune.pipeline.eval.*;

// settings: the defaults plus small overrides; unknown keys fail with the nearest valid one
var settings = Settings.load(List.of("conf/tiny.conf"), List.of("classifier.num-features=65536", "classifier.max-iter=30", "probe.chunk-rows=32"));
var spark = Sessions.local("walkthrough", 2);

// 1. ingest: canonical records and rejected ones, with counts
var in = Ingest.read(spark, settings, List.of("samples/sft", "samples/pretrain"), null);
System.out.println("ingest: " + in.stats().get("accepted") + " records, " + in.stats().get("rejected") + " rejected");

// 2. classify: a Spark ML estimator; fit on labelled records, transform any DataFrame with a text column
var examples = ClassifierData.examples(in.records(), settings).cache();
var clf = new DomainClassifier().configure(settings).fit(examples.filter(col("validation").equalTo(false)));
var labelled = ClassifierStage.label(clf, in.records().filter(col("kind").equalTo("sft")));
labelled.groupBy("domain").count().orderBy("domain").show();
System.out.println("one document on the driver: " + clf.classify("def add(a, b):\n    return a + b").domain());
try {
    clf.transform(spark.sql("select 'x' as body"));
} catch (IllegalArgumentException e) {
    System.out.println("clear error: " + e.getMessage());
}

// 3. probe: a small base model writes texts from its start token; the classifier labels them
var tok = BpeTokenizer.train(List.of("the court held", "def f(x): return x", "blood pressure", "interest rates rose"), 400);
var cfg = new LmConfig(tok.vocabSize(), 32, 48, 1, 2, 2, LmConfig.RELU);
var model = new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 1, org.nd4j.linalg.api.buffer.DataType.FLOAT).params(), null, Map.of());
var samples = KnowledgeProbe.generate(spark, settings, model, 64, 7);
var probed = clf.copy(new org.apache.spark.ml.param.ParamMap()).setTextCol("text").transform(samples);
probed.groupBy("prediction").count().show();

// 4. compose: exact per-domain counts, deterministic draw
var pool = in.records().filter(col("kind").equalTo("sft"));
var weights = MixtureWeights.parse(settings.domains(), "law=0.1,medicine=0.1,finance=0.05,science=0.15,code=0.25,general=0.35");
var counts = Allocation.largestRemainder(weights.toArray(), 200);
var mixture = MixtureSampler.sample(pool, settings.domains(), counts, MixtureSampler.poolSizes(pool, settings.domains()), 42L, 1);
mixture.groupBy("domain").count().orderBy("domain").show();

// 5. evaluate: per-domain NLL, score and multiple-choice accuracy of a model
var data = EvalInputs.read(spark, settings, List.of("samples/eval"));
var metrics = EvaluateStage.evaluate(spark, settings, model, new EvalInputs.Data(pool.limit(120), data.mc().limit(60), Map.of()), "walkthrough");
System.out.println("comprehensive score " + metrics.get("comprehensive_score") + ", mean MC accuracy " + metrics.get("mean_mc_accuracy"));

System.out.println("WALKTHROUGH OK");
/exit
