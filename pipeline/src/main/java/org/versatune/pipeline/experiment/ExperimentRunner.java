package org.versatune.pipeline.experiment;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.eval.DomainEvaluator;
import org.versatune.pipeline.eval.EvalInputs;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.mixture.ComposeStage;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.pretrain.PretrainStage;
import org.versatune.pipeline.probe.KnowledgeProbe;
import org.versatune.pipeline.train.SftData;
import org.versatune.pipeline.train.StagedTraining;
import org.versatune.pipeline.util.Seeds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code versatune experiment}: the evidence for a mixing method on one's own data and model (docs/method.md
 * section 5). Prepares the shared pieces once (base model, the pool / validation / test split, classifier, probe,
 * the base's test scores), runs every strategy for every seed as a staged training run on the same budget, driven by
 * the validation set alone (completed runs are reused, interrupted ones resumed), scores each final model on every
 * test item, then tabulates the claims with paired bootstrap intervals and writes the report. {@link #rescore}
 * scores the same finished runs on another test set.
 */
public final class ExperimentRunner {
    public static final String STAGE = "experiment";
    public static final String SCORES = "test-scores";
    public static final String RESCORE = "rescore";
    private static final Logger LOG = LoggerFactory.getLogger(ExperimentRunner.class);
    /** A dynamic strategy run with another step size: {@code versatune-dynamic-eta-3}. */
    private static final Pattern ETA = Pattern.compile("(.+-(?:dynamic|expand))-eta-([0-9]+(?:\\.[0-9]+)?)");

    private ExperimentRunner() {
    }

    /** One training run of the experiment. */
    public record Run(String strategy, long seed, String dir) {
    }

    public static String runDir(String out, String strategy, long seed) {
        return new Path(new Path(new Path(out, "runs"), strategy), "seed-" + seed).toString();
    }

    /** How a strategy name trains: its weights, whether it re-weights, its expansion target, its settings. */
    record Plan(String weights, boolean reweight, String target, Settings settings) {
    }

    static Plan plan(String strategy, Settings s, String oracleWeights, String target) {
        Matcher m = ETA.matcher(strategy);
        if (m.matches()) {
            Plan p = plan(m.group(1), s, oracleWeights, target);
            return new Plan(p.weights(), p.reweight(), p.target(), p.settings().with("train.update.eta", Double.parseDouble(m.group(2))));
        }
        return switch (strategy) {
            case "versatune" -> new Plan("versatune", false, null, s);
            case "versatune-dynamic" -> new Plan("versatune", true, null, s);
            // the re-weighting without the probe's starting mix: separates what the update buys from where it starts
            case "uniform-dynamic" -> new Plan("uniform", true, null, s);
            case "oracle", "oracle-dynamic" -> {
                if (oracleWeights == null) {
                    throw new IllegalArgumentException("strategy '" + strategy + "' needs the base model's true pretraining mix, "
                            + "which only a base made by `versatune pretrain` records (its stats.json)");
                }
                yield new Plan(oracleWeights, strategy.endsWith("-dynamic"), null, s);
            }
            case "specific", "uniform-rest" -> new Plan(strategy, false, target, s);
            case "versatune-expand" -> new Plan(strategy, true, target, s);
            default -> new Plan(strategy, false, null, s);
        };
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, String out, boolean overwrite) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        var e = settings.section("experiment");
        var t = settings.section("train");
        Domains domains = settings.domains();
        List<String> strategies = strategies(settings);
        String target = e.getString("expansion-target");
        List<Run> runs = runs(settings, out);
        String configFile = new Path(out, StageOutput.CONFIG).toString();
        if (!overwrite && OutputFiles.exists(conf, configFile)) {
            List<String> changed = changedSettings(Json.readText(conf, configFile), settings);
            if (!changed.isEmpty()) {
                throw new StageOutput.OutputExistsException("experiment '" + out + "' was started with other settings ("
                        + String.join(", ", changed) + "); its runs would not be comparable with new ones. Use another "
                        + "output, or remove this one to start again (only the seeds and strategies may change between calls)");
            }
        }
        Path marker = new Path(out, StageOutput.MARKER);
        if (StageOutput.isComplete(conf, out, STAGE) && !overwrite) {
            List<Run> missing = runs.stream().filter(r -> !OutputFiles.exists(conf, ExperimentResults.scoresFile(
                    new Path(out, SCORES).toString(), r.strategy(), r.seed()))).toList();
            if (missing.isEmpty()) {
                LOG.info("experiment {} is complete; regenerate its report with `versatune report {}`", out, out);
                Map<String, Object> s = new LinkedHashMap<>(Json.readMap(conf, new Path(out, StageOutput.STATS).toString()));
                s.put("skipped", true);
                return s;
            }
            // more seeds or strategies asked of a finished experiment: reuse its runs, train the new ones
            LOG.info("experiment {} is complete; adding {} run(s) for the seeds and strategies asked now", out, missing.size());
            try {
                marker.getFileSystem(conf).delete(marker, false);
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot reopen experiment " + out + ": " + ex.getMessage(), ex);
            }
        }
        long started = System.nanoTime();
        Json.writeText(conf, configFile, settings.renderJson());

        // shared pieces
        String base = e.getString("base");
        if (base.isEmpty()) {
            base = new Path(out, "base").toString();
            var bp = t.getConfig("base-pretrain");
            PretrainStage.run(spark, settings, bp.getStringList("input"), MixtureWeights.parse(domains, bp.getString("mix")),
                    bp.getLong("tokens"), base, false, true);
        }
        List<String> rawPool = e.getStringList("pool");
        if (rawPool.isEmpty()) {
            throw new IllegalArgumentException("versatune.experiment.pool must name the SFT records to split into pool, validation and test");
        }
        InputPaths.requireOutputOutsideInputs(conf, rawPool, out);
        InputPaths.requireOutputOutsideInputs(conf, e.getStringList("eval"), out);
        TestSet test = prepare(spark, settings, out, rawPool, e.getStringList("eval"));
        ExperimentSplits.Sets sets = ExperimentSplits.Sets.in(out);
        String classifier = e.getString("classifier");
        if (classifier.isEmpty()) {
            classifier = new Path(out, "classifier").toString();
            List<String> clfInputs = new ArrayList<>(List.of(sets.pool()));
            clfInputs.addAll(e.getStringList("classifier-text"));
            ClassifierStage.train(spark, settings, clfInputs, classifier, false);
        }
        String probe = new Path(out, "probe").toString();
        KnowledgeProbe.run(spark, settings, base, classifier, e.getInt("probe-samples"), probe, false);
        String distribution = new Path(probe, KnowledgeProbe.DISTRIBUTION).toString();
        String oracle = oracleWeights(conf, settings, base, out);

        // the runs, each driven by the validation set; reference losses once per seed, on the validation set
        LmCheckpoint baseModel = LmCheckpoint.load(conf, base);
        String scores = new Path(out, SCORES).toString();
        Items items = test.items(spark, settings, baseModel);
        scoreOnce(spark, settings, baseModel, base, items, ExperimentResults.scoresFile(scores, null, 0), "base model");
        int i = 0;
        Map<String, Object> seconds = new LinkedHashMap<>();
        for (Run r : runs) {
            i++;
            String reference = new Path(out, "reference-seed-" + r.seed() + ".json").toString();
            boolean haveRef = OutputFiles.exists(conf, reference);
            String scored = ExperimentResults.scoresFile(scores, r.strategy(), r.seed());
            if (haveRef && (OutputFiles.exists(conf, scored) || OutputFiles.exists(conf, scored + ".gz"))) {
                // scored already, here or in results restored from an earlier session: its training is not repeated
                LOG.info("experiment run {}/{}: {} seed {} is scored already", i, runs.size(), r.strategy(), r.seed());
                continue;
            }
            LOG.info("experiment run {}/{}: {} seed {}", i, runs.size(), r.strategy(), r.seed());
            Plan p = plan(r.strategy(), settings.with("run.seed", r.seed()), oracle, target.isEmpty() ? null : target);
            Map<String, Object> stats = StagedTraining.run(spark, p.settings(), new StagedTraining.Request(base, List.of(sets.pool()),
                    List.of(sets.validation()), p.weights(), distribution, p.target(), null, null, null, haveRef ? reference : null,
                    p.reweight()), r.dir(), false, true);
            if (!haveRef) {
                Map<String, Object> ref = new LinkedHashMap<>(Json.readMap(conf, new Path(r.dir(), "reference.json").toString()));
                ref.put("seed", r.seed());
                ref.put("computed_by", r.strategy());
                ref.put("chosen_on", sets.validation());
                Json.write(conf, reference, ref);
            }
            seconds.put(r.strategy() + " seed " + r.seed(), stats.get("seconds"));
            scoreOnce(spark, settings, LmCheckpoint.load(conf, new Path(r.dir(), "model").toString()), r.dir(), items,
                    ExperimentResults.scoresFile(scores, r.strategy(), r.seed()), r.strategy() + " seed " + r.seed());
        }
        items.unpersist();
        ExperimentSummary summary = tables(conf, settings, runs, scores, out);
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("runs", runs.size());
        stats.put("strategies", strategies);
        stats.put("seeds", e.getLongList("seeds"));
        stats.put("base", base);
        stats.put("classifier", classifier);
        stats.put("splits", Json.readMap(conf, new Path(new Path(out, ExperimentSplits.DIR), ExperimentSplits.MANIFEST).toString()));
        stats.put("run_seconds", seconds);
        stats.put("claims", summary.claims());
        stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
        Json.write(conf, new Path(out, StageOutput.STATS).toString(), stats);
        Json.writeText(conf, marker.toString(), STAGE + "\n");
        return stats;
    }

    /**
     * Scores the base model and every finished run of the experiment {@code out} on another test set ({@code test}:
     * SFT records and multiple-choice items) and rebuilds the tables and the report under {@code rescore/<name>/}.
     */
    public static Map<String, Object> rescore(SparkSession spark, String out, List<String> test, String name) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        if (!StageOutput.isComplete(conf, out, STAGE)) {
            throw new IllegalArgumentException("'" + out + "' is not a finished experiment: run it to the end before re-scoring");
        }
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("--rescore-name '" + name + "' must be letters, digits, '.', '_' or '-'");
        }
        String savedFile = new Path(out, StageOutput.CONFIG).toString();
        Settings saved = Settings.saved(Json.readText(conf, savedFile), savedFile);
        String dir = new Path(new Path(out, RESCORE), name).toString();
        InputPaths.requireOutputOutsideInputs(conf, test, dir);
        // an interrupted re-scoring on the same inputs continues; anything else there is not overwritten
        String request = new Path(dir, "request.json").toString();
        if (OutputFiles.exists(conf, new Path(dir, StageOutput.STATS).toString())
                || (OutputFiles.exists(conf, dir) && !(OutputFiles.exists(conf, request)
                && Objects.equals(Json.readMap(conf, request).get("test"), test)))) {
            throw new StageOutput.OutputExistsException("re-scoring '" + dir + "' already exists; choose another --rescore-name "
                    + "or remove it");
        }
        Json.write(conf, request, Map.of("test", test));
        EvalInputs.Data data = EvalInputs.read(spark, saved, test);
        if (data.sft() == null) {
            throw new IllegalArgumentException("the re-scoring test set needs SFT records (every domain's loss is scored)");
        }
        // records the experiment trained on cannot test it: count what the new test shares with the pool
        Dataset<Row> poolContent = spark.read().parquet(ExperimentSplits.Sets.in(out).pool()).select(ExperimentSplits.contentHash().as("c"));
        long overlap = data.sft().select(ExperimentSplits.contentHash().as("c")).join(poolContent, "c").count();
        TestSet ts = new TestSet(data.sft(), data.mc() == null ? null : capMc(saved, data.mc()));
        String base = Json.readMap(conf, new Path(out, StageOutput.STATS).toString()).get("base").toString();
        LmCheckpoint baseModel = LmCheckpoint.load(conf, base);
        Items items = ts.items(spark, saved, baseModel);
        String scores = new Path(dir, SCORES).toString();
        List<Run> runs = runs(saved, out).stream().filter(r -> StageOutput.isComplete(conf, r.dir(), StagedTraining.STAGE)).toList();
        List<Run> lost = runs(saved, out).stream().filter(r -> !runs.contains(r) && OutputFiles.exists(conf,
                ExperimentResults.scoresFile(new Path(out, SCORES).toString(), r.strategy(), r.seed()))).toList();
        if (!lost.isEmpty()) {
            // scored runs restored without their models cannot be scored again: said, not dropped silently
            LOG.warn("re-scoring {}: {} scored run(s) have no model here and are left out: {}", out, lost.size(),
                    lost.stream().map(r -> r.strategy() + " seed " + r.seed()).toList());
        }
        scoreOnce(spark, saved, baseModel, base, items, ExperimentResults.scoresFile(scores, null, 0), "base model");
        for (Run r : runs) {
            scoreOnce(spark, saved, LmCheckpoint.load(conf, new Path(r.dir(), "model").toString()), r.dir(), items,
                    ExperimentResults.scoresFile(scores, r.strategy(), r.seed()), r.strategy() + " seed " + r.seed());
        }
        items.unpersist();
        // the report reads the runs' weight histories and the probe from the experiment itself
        Json.writeText(conf, new Path(dir, StageOutput.CONFIG).toString(), Json.readText(conf, new Path(out, StageOutput.CONFIG).toString()));
        ExperimentSummary summary = tables(conf, saved, runs, scores, dir);
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("experiment", out);
        stats.put("test", test);
        stats.put("runs", runs.size());
        stats.put("test_records_sharing_content_with_the_pool", overlap);
        stats.put("claims", summary.claims());
        Json.write(conf, new Path(dir, StageOutput.STATS).toString(), stats);
        if (overlap > 0) {
            LOG.warn("{} of the re-scoring test records share their content with the experiment's pool: they were trained on", overlap);
        }
        return stats;
    }

    /**
     * Rebuilds the tables (results.json/csv, summary.json) and the report of an experiment's folder, or of its
     * committed results, from the per-item test scores under {@code test-scores/} (plain or gzip-compressed) and the
     * saved settings: every interval can be recomputed from those files alone.
     */
    public static ExperimentSummary retabulate(Configuration conf, String dir) {
        String savedFile = new Path(dir, StageOutput.CONFIG).toString();
        Settings saved = Settings.saved(Json.readText(conf, savedFile), savedFile);
        String scores = new Path(dir, SCORES).toString();
        List<Run> runs = runs(saved, dir).stream().filter(r -> {
            String f = ExperimentResults.scoresFile(scores, r.strategy(), r.seed());
            return OutputFiles.exists(conf, f) || OutputFiles.exists(conf, f + ".gz");
        }).toList();
        if (runs.isEmpty()) {
            throw new IllegalArgumentException(dir + ": no run's test scores under " + scores);
        }
        return tables(conf, saved, runs, scores, dir);
    }

    static List<String> strategies(Settings settings) {
        var e = settings.section("experiment");
        List<String> strategies = new ArrayList<>(e.getStringList("strategies"));
        String target = e.getString("expansion-target");
        if (!target.isEmpty()) {
            settings.domains().indexOf(target);
            strategies.addAll(e.getStringList("expansion-strategies"));
        }
        for (double eta : e.getDoubleList("eta-sensitivity")) {
            strategies.add(etaStrategy(eta));
        }
        return strategies;
    }

    static String etaStrategy(double eta) {
        return "versatune-dynamic-eta-" + (eta == Math.rint(eta) ? String.valueOf((long) eta) : String.valueOf(eta));
    }

    /** The configured claims, then one sensitivity claim per eta-sensitivity run against versatune-dynamic. */
    static List<String> claims(Settings settings) {
        var e = settings.section("experiment");
        List<String> claims = new ArrayList<>(e.getStringList("claims"));
        for (double eta : e.getDoubleList("eta-sensitivity")) {
            claims.add(etaStrategy(eta) + " > versatune-dynamic");
        }
        return claims;
    }

    static List<Run> runs(Settings settings, String out) {
        List<Run> runs = new ArrayList<>();
        for (long seed : settings.section("experiment").getLongList("seeds")) {
            for (String s : strategies(settings)) {
                runs.add(new Run(s, seed, runDir(out, s, seed)));
            }
        }
        return runs;
    }

    /** results.json/csv, summary.json and the report of a scores folder, written into {@code dir}. */
    private static ExperimentSummary tables(Configuration conf, Settings settings, List<Run> runs, String scores, String dir) {
        var e = settings.section("experiment");
        String target = e.getString("expansion-target");
        ExperimentResults.Design design = new ExperimentResults.Design(claims(settings), target.isEmpty() ? null : target,
                e.getInt("bootstrap-draws"), Seeds.derive(settings.seed(), "bootstrap"));
        ExperimentResults.Tables results = ExperimentResults.collect(conf, runs, scores, design);
        Json.write(conf, new Path(dir, "results.json").toString(), results.rows());
        Json.writeText(conf, new Path(dir, "results.csv").toString(), ExperimentResults.csv(results));
        Json.write(conf, new Path(dir, "summary.json").toString(), results.summary());
        ExperimentReport.write(conf, dir);
        return results.summary();
    }

    /** The test set: SFT records and multiple-choice items, with their scoring items built once per tokenizer. */
    record TestSet(Dataset<Row> sft, Dataset<Row> mc) {
        Items items(SparkSession spark, Settings settings, LmCheckpoint model) {
            int ctx = model.config().context();
            JavaRDD<DomainEvaluator.Item> s = EvalInputs.sftItems(spark, sft, model.tokenizer(), ctx).persist(StorageLevel.MEMORY_AND_DISK());
            JavaRDD<DomainEvaluator.Choice> c = mc == null ? null
                    : EvalInputs.mcItems(spark, mc, model.tokenizer(), ctx).persist(StorageLevel.MEMORY_AND_DISK());
            return new Items(s, c, settings.section("lm").getConfig("train").getInt("eval-tokens-per-batch"));
        }
    }

    record Items(JavaRDD<DomainEvaluator.Item> sft, JavaRDD<DomainEvaluator.Choice> mc, int batch) {
        void unpersist() {
            sft.unpersist();
            if (mc != null) {
                mc.unpersist();
            }
        }
    }

    /** Ingests the pool, splits it (once), and reads the test set: the test split plus every multiple-choice item. */
    private static TestSet prepare(SparkSession spark, Settings settings, String out, List<String> rawPool, List<String> rawEval) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> mcFiles = new ArrayList<>();
        List<String> sftEval = new ArrayList<>();
        for (String f : InputPaths.expand(conf, rawEval)) {
            (EvalInputs.isMultipleChoice(conf, f) ? mcFiles : sftEval).add(f);
        }
        ExperimentSplits.Sets sets = ExperimentSplits.Sets.in(out);
        if (!ExperimentSplits.exist(conf, out)) {
            // ingest once: every later step reads the same Parquet instead of parsing the inputs again
            String poolDir = new Path(out, "ingest-pool").toString();
            Ingest.run(spark, settings, rawPool, null, poolDir, false);
            Dataset<Row> heldOut = null;
            if (!sftEval.isEmpty()) {
                String evalDir = new Path(out, "ingest-eval").toString();
                Ingest.run(spark, settings, sftEval, null, evalDir, false);
                heldOut = ComposeStage.readPool(spark, settings, List.of(new Path(evalDir, Ingest.RECORDS).toString()));
            }
            try {
                Path dir = new Path(out, ExperimentSplits.DIR);
                dir.getFileSystem(conf).delete(dir, true);   // what an interrupted split left
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            Map<String, Object> m = ExperimentSplits.make(spark, settings,
                    ComposeStage.readPool(spark, settings, List.of(new Path(poolDir, Ingest.RECORDS).toString())), heldOut, out);
            LOG.info("experiment splits (pool / validation / test per domain): {}", m.get("domains"));
        }
        Dataset<Row> mc = null;
        if (!mcFiles.isEmpty()) {
            mc = capMc(settings, EvalInputs.read(spark, settings, mcFiles).mc());
        }
        return new TestSet(ComposeStage.readPool(spark, settings, List.of(sets.test())), mc);
    }

    private static Dataset<Row> capMc(Settings settings, Dataset<Row> mc) {
        int cap = settings.section("experiment").getConfig("splits").getInt("test-mc-max-items");
        return cap > 0 ? SftData.capPerDomain(mc, cap, Seeds.derive(settings.seed(), "test-mc")) : mc;
    }

    /** Scores a model on every test item unless its scores exist. */
    private static void scoreOnce(SparkSession spark, Settings settings, LmCheckpoint model, String modelDir, Items items,
                                  String file, String label) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        if (OutputFiles.exists(conf, file)) {
            return;
        }
        ModelPayload payload = ModelPayload.of(spark, settings, model);
        List<DomainEvaluator.ItemScore> sft = DomainEvaluator.itemLosses(spark, payload, items.sft(), items.batch(),
                "experiment: test NLL of " + label);
        List<DomainEvaluator.ItemScore> mc = items.mc() == null ? List.of()
                : DomainEvaluator.itemChoices(spark, payload, items.mc(), items.batch(), "experiment: test multiple choice of " + label);
        TestScores.of(settings.domains().names(), sft, mc).write(conf, file, modelDir);
    }

    /** The base's true pretraining mix (we made it), as a weights file: the oracle strategies start from it. */
    static String oracleWeights(Configuration conf, Settings settings, String base, String out) {
        String file = new Path(out, "oracle-weights.json").toString();
        Path stats = new Path(base, StageOutput.STATS);
        Map<String, Object> s = OutputFiles.exists(conf, stats.toString()) ? Json.readMap(conf, stats.toString()) : Map.of();
        Object mix = s.containsKey("mix_realised") ? s.get("mix_realised") : s.get("mix_requested");
        if (!(mix instanceof Map<?, ?> m)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        MixtureWeights w = MixtureWeights.normalised(settings.domains(),
                settings.domains().fromMap((Map<String, Number>) (Map<?, ?>) m, base + "/stats.json mix"));
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("weights", w.toMap());
        f.put("source", "the base model's realised pretraining mix (" + stats + ")");
        Json.write(conf, file, f);
        return file;
    }

    /** The settings (dotted keys) that differ from a saved experiment's, other than the run lists and the run id. */
    /**
     * Settings whose value differs from the experiment's saved ones. A key the saved settings lack was added to the
     * project after the experiment started: it counts as changed only when it is set to other than its default (an
     * older experiment ran as the default does), so a newer build can finish an experiment an older one started.
     */
    static List<String> changedSettings(String savedJson, Settings now) {
        Config saved = ConfigFactory.parseString(savedJson).getConfig(Settings.ROOT);
        Config current = now.root();
        Config defaults = Settings.defaults().root();
        TreeSet<String> keys = new TreeSet<>();
        saved.entrySet().forEach(x -> keys.add(x.getKey()));
        current.entrySet().forEach(x -> keys.add(x.getKey()));
        List<String> changed = new ArrayList<>();
        for (String k : keys) {
            if (k.equals("run.id") || k.equals("experiment.seeds") || k.equals("experiment.strategies")
                    || k.equals("experiment.expansion-strategies") || k.equals("experiment.eta-sensitivity")
                    || k.equals("experiment.claims") || k.equals("experiment.bootstrap-draws")) {
                continue;
            }
            Object a = saved.hasPath(k) ? saved.getValue(k).unwrapped() : null;
            Object b = current.hasPath(k) ? current.getValue(k).unwrapped() : null;
            if (a == null && defaults.hasPath(k) && Objects.equals(b, defaults.getValue(k).unwrapped())) {
                continue;
            }
            if (!Objects.equals(a, b)) {
                changed.add(k);
            }
        }
        return changed;
    }
}
