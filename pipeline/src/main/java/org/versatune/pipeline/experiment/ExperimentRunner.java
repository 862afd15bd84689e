package org.versatune.pipeline.experiment;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.pretrain.PretrainStage;
import org.versatune.pipeline.probe.KnowledgeProbe;
import org.versatune.pipeline.train.StagedTraining;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * {@code versatune experiment}: the evidence for a mixing method on one's own data and model. Prepares the shared
 * pieces once (base model, classifier, probe, reference losses), runs every strategy for every seed as a staged
 * training run on the same budget (completed runs are reused, interrupted ones resumed), then tabulates
 * per-domain results, summarises them across seeds and writes the report.
 */
public final class ExperimentRunner {
    public static final String STAGE = "experiment";
    private static final Logger LOG = LoggerFactory.getLogger(ExperimentRunner.class);

    private ExperimentRunner() {
    }

    /** One training run of the experiment. */
    public record Run(String strategy, long seed, String dir) {
    }

    public static String runDir(String out, String strategy, long seed) {
        return new Path(new Path(new Path(out, "runs"), strategy), "seed-" + seed).toString();
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, String out, boolean overwrite) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        var e = settings.section("experiment");
        var t = settings.section("train");
        Domains domains = settings.domains();
        List<String> strategies = new ArrayList<>(e.getStringList("strategies"));
        String target = e.getString("expansion-target");
        if (!target.isEmpty()) {
            domains.indexOf(target);
            strategies.addAll(e.getStringList("expansion-strategies"));
        }
        List<Run> runs = new ArrayList<>();
        for (long seed : e.getLongList("seeds")) {
            for (String s : strategies) {
                runs.add(new Run(s, seed, runDir(out, s, seed)));
            }
        }
        String configFile = new Path(out, StageOutput.CONFIG).toString();
        if (!overwrite && org.versatune.pipeline.io.OutputFiles.exists(conf, configFile)) {
            List<String> changed = changedSettings(Json.readText(conf, configFile), settings);
            if (!changed.isEmpty()) {
                throw new StageOutput.OutputExistsException("experiment '" + out + "' was started with other settings ("
                        + String.join(", ", changed) + "); its runs would not be comparable with new ones. Use another "
                        + "output, or remove this one to start again (only the seeds and strategies may change between calls)");
            }
        }
        Path marker = new Path(out, StageOutput.MARKER);
        if (StageOutput.isComplete(conf, out, STAGE) && !overwrite) {
            List<Run> missing = runs.stream().filter(r -> !StageOutput.isComplete(conf, r.dir(), StagedTraining.STAGE)).toList();
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
        List<String> rawEval = e.getStringList("eval");
        if (rawPool.isEmpty() || rawEval.isEmpty()) {
            throw new IllegalArgumentException("versatune.experiment.pool and .eval must name the SFT pool and the eval inputs");
        }
        // ingest once: every run reads the same Parquet instead of parsing the inputs again
        String poolDir = new Path(out, "ingest-pool").toString();
        org.versatune.pipeline.ingest.Ingest.run(spark, settings, rawPool, null, poolDir, false);
        List<String> pool = List.of(new Path(poolDir, "records").toString());
        List<String> mcFiles = new ArrayList<>();
        List<String> sftEval = new ArrayList<>();
        for (String f : org.versatune.pipeline.io.InputPaths.expand(conf, rawEval)) {
            (org.versatune.pipeline.eval.EvalInputs.isMultipleChoice(conf, f) ? mcFiles : sftEval).add(f);
        }
        List<String> eval = new ArrayList<>(mcFiles);
        if (!sftEval.isEmpty()) {
            String evalDir = new Path(out, "ingest-eval").toString();
            org.versatune.pipeline.ingest.Ingest.run(spark, settings, sftEval, null, evalDir, false);
            eval.add(new Path(evalDir, "records").toString());
        }
        String classifier = e.getString("classifier");
        if (classifier.isEmpty()) {
            classifier = new Path(out, "classifier").toString();
            List<String> clfInputs = new ArrayList<>(pool);
            clfInputs.addAll(e.getStringList("classifier-text"));
            ClassifierStage.train(spark, settings, clfInputs, classifier, false);
        }
        String probe = new Path(out, "probe").toString();
        KnowledgeProbe.run(spark, settings, base, classifier, e.getInt("probe-samples"), probe, false);
        String distribution = new Path(probe, KnowledgeProbe.DISTRIBUTION).toString();

        // the runs; the reference losses are computed by the first and shared by the others
        String reference = new Path(out, "reference.json").toString();
        int i = 0;
        for (Run r : runs) {
            i++;
            boolean expansion = r.strategy().equals("specific") || r.strategy().equals("uniform-rest") || r.strategy().equals("versatune-expand");
            String weights = r.strategy().equals("versatune-dynamic") ? "versatune" : r.strategy();
            boolean reweight = r.strategy().equals("versatune-dynamic") || r.strategy().equals("versatune-expand");
            LOG.info("experiment run {}/{}: {} seed {}", i, runs.size(), r.strategy(), r.seed());
            Settings s = settings.with("run.seed", r.seed());
            boolean haveRef = org.versatune.pipeline.io.OutputFiles.exists(conf, reference);
            StagedTraining.run(spark, s, new StagedTraining.Request(base, pool, eval, weights, distribution,
                    expansion ? target : null, null, null, null, haveRef ? reference : null, reweight), r.dir(), false, true);
            if (!haveRef) {
                Json.write(conf, reference, Json.readMap(conf, new Path(r.dir(), "reference.json").toString()));
            }
        }
        Map<String, Object> results = ExperimentResults.collect(conf, domains, out, runs, target.isEmpty() ? null : target);
        Json.write(conf, new Path(out, "results.json").toString(), results.get("rows"));
        org.versatune.pipeline.io.Json.writeText(conf, new Path(out, "results.csv").toString(), ExperimentResults.csv(results));
        Json.write(conf, new Path(out, "summary.json").toString(), results.get("summary"));
        ExperimentReport.write(conf, out);
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("runs", runs.size());
        stats.put("strategies", strategies);
        stats.put("seeds", e.getLongList("seeds"));
        stats.put("base", base);
        stats.put("classifier", classifier);
        stats.put("summary", results.get("summary"));
        stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
        Json.write(conf, new Path(out, StageOutput.STATS).toString(), stats);
        Json.writeText(conf, marker.toString(), STAGE + "\n");
        return stats;
    }

    /** The settings (dotted keys) that differ from a saved experiment's, other than the run lists and the run id. */
    static List<String> changedSettings(String savedJson, Settings now) {
        Config saved = ConfigFactory.parseString(savedJson).getConfig(Settings.ROOT);
        Config current = now.root();
        TreeSet<String> keys = new TreeSet<>();
        saved.entrySet().forEach(x -> keys.add(x.getKey()));
        current.entrySet().forEach(x -> keys.add(x.getKey()));
        List<String> changed = new ArrayList<>();
        for (String k : keys) {
            if (k.equals("run.id") || k.equals("experiment.seeds") || k.equals("experiment.strategies")
                    || k.equals("experiment.expansion-strategies")) {
                continue;
            }
            Object a = saved.hasPath(k) ? saved.getValue(k).unwrapped() : null;
            Object b = current.hasPath(k) ? current.getValue(k).unwrapped() : null;
            if (!Objects.equals(a, b)) {
                changed.add(k);
            }
        }
        return changed;
    }
}
