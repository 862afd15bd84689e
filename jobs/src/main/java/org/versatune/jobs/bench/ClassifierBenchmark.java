package org.versatune.jobs.bench;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.versatune.pipeline.classify.ClassificationMetrics;
import org.versatune.pipeline.classify.ClassifierData;
import org.versatune.pipeline.classify.ClassifierEvaluation;
import org.versatune.pipeline.classify.DomainClassifier;
import org.versatune.pipeline.classify.DomainClassifierModel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.util.Seeds;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

/**
 * The classifier benchmark: our classifier and fastText (-wordNgrams 2 -dim 50 -epoch 5) trained and tested on
 * the same seeded split of the SFT pool; macro-F1 for both; classification throughput with the model already
 * loaded (ours: Spark on every local core over cached records; fastText: predict, minus its load time).
 * Optionally also the production classifier (SFT + chunks of raw text) and its accuracy on held-out prose.
 */
public final class ClassifierBenchmark {
    private ClassifierBenchmark() {
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, List<String> sft, List<String> text,
                                          Path work, String fasttext, int repeat, LmBenchmark.PrintLog log) throws IOException {
        Files.createDirectories(work);
        List<String> domains = settings.domains().names();
        Dataset<Row> sftExamples = ClassifierData.examples(Ingest.read(spark, settings, sft, null).records()
                .filter(col("domain").isNotNull()), settings).persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> train = sftExamples.filter(col("validation").equalTo(false));
        Dataset<Row> test = sftExamples.filter(col("validation"));
        long nTrain = train.count();
        long nTest = test.count();
        log.line("split: " + nTrain + " train, " + nTest + " test records");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("train_records", nTrain);
        r.put("test_records", nTest);

        // ours, on the SFT training split only (the comparison)
        long t0 = System.nanoTime();
        DomainClassifierModel ours = new DomainClassifier().configure(settings).fit(train);
        double fit = (System.nanoTime() - t0) / 1e9;
        Map<?, ?> m = (Map<?, ?>) ClassifierEvaluation.evaluate(ours, test).get("all");
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("macro_f1", m.get("macro_f1"));
        o.put("accuracy", m.get("accuracy"));
        o.put("fit_seconds", round(fit));
        o.put("records_per_s", round(throughput(spark, ours, test, repeat)));
        o.put("threads", Runtime.getRuntime().availableProcessors());
        log.line("ours: macro-F1 " + m.get("macro_f1") + ", " + o.get("records_per_s") + " records/s, fit " + o.get("fit_seconds") + " s");
        r.put("ours", o);

        // fastText on exactly the same split
        List<Row> trainRows = train.select("id", "domain", "text").collectAsList();
        List<Row> testRows = test.select("id", "domain", "text").orderBy("id").collectAsList();
        long seed = Seeds.derive(settings.seed(), "fasttext-shuffle");
        List<Row> shuffled = new ArrayList<>(trainRows);
        shuffled.sort(Comparator.comparingLong(x -> Seeds.derive(seed, x.getString(0)))); // fastText does not shuffle
        Path trainFile = work.resolve("fasttext-train.txt");
        Path testFile = work.resolve("fasttext-test.txt");
        try (BufferedWriter w = Files.newBufferedWriter(trainFile, StandardCharsets.UTF_8)) {
            for (Row x : shuffled) {
                w.write("__label__" + x.getString(1) + " " + oneLine(x.getString(2)) + "\n");
            }
        }
        try (BufferedWriter w = Files.newBufferedWriter(testFile, StandardCharsets.UTF_8)) {
            for (Row x : testRows) {
                w.write(oneLine(x.getString(2)) + "\n");
            }
        }
        Path oneFile = Files.writeString(work.resolve("fasttext-one.txt"), oneLine(testRows.get(0).getString(2)) + "\n");
        String modelPrefix = work.resolve("fasttext-model").toString();
        long f0 = System.nanoTime();
        exec(List.of(fasttext, "supervised", "-input", trainFile.toString(), "-output", modelPrefix,
                "-wordNgrams", "2", "-dim", "50", "-epoch", "5", "-thread", String.valueOf(Runtime.getRuntime().availableProcessors()), "-verbose", "0"));
        double ftFit = (System.nanoTime() - f0) / 1e9;
        double best = Double.MAX_VALUE;
        double load = Double.MAX_VALUE;
        List<String> preds = null;
        for (int i = 0; i < 3; i++) {
            long p0 = System.nanoTime();
            preds = exec(List.of(fasttext, "predict", modelPrefix + ".bin", testFile.toString()));
            best = Math.min(best, (System.nanoTime() - p0) / 1e9);
            long l0 = System.nanoTime();
            exec(List.of(fasttext, "predict", modelPrefix + ".bin", oneFile.toString()));
            load = Math.min(load, (System.nanoTime() - l0) / 1e9);
        }
        long[][] conf = new long[domains.size()][domains.size()];
        for (int i = 0; i < testRows.size(); i++) {
            int truth = domains.indexOf(testRows.get(i).getString(1));
            int p = domains.indexOf(preds.get(i).replace("__label__", "").trim());
            conf[truth][Math.max(0, p)]++;
        }
        ClassificationMetrics fm = new ClassificationMetrics(domains, conf);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("macro_f1", fm.macroF1());
        f.put("accuracy", fm.accuracy());
        f.put("fit_seconds", round(ftFit));
        f.put("predict_seconds", round(best));
        f.put("load_seconds", round(load));
        f.put("records_per_s", round(testRows.size() / Math.max(1e-6, best - load)));
        f.put("settings", "-wordNgrams 2 -dim 50 -epoch 5, training file shuffled");
        log.line("fastText: macro-F1 " + fm.macroF1() + ", " + f.get("records_per_s") + " records/s");
        r.put("fasttext", f);
        r.put("throughput_ratio", round(((Number) o.get("records_per_s")).doubleValue() / ((Number) f.get("records_per_s")).doubleValue()));
        r.put("macro_f1_difference", ((Number) o.get("macro_f1")).doubleValue() - fm.macroF1());

        if (!text.isEmpty()) {
            // the production classifier: SFT plus raw-text chunks; its accuracy on held-out prose chunks
            Dataset<Row> prose = ClassifierData.examples(Ingest.read(spark, settings, text, null).records()
                    .filter(col("domain").isNotNull()), settings);
            Dataset<Row> all = sftExamples.unionByName(prose).persist(StorageLevel.MEMORY_AND_DISK());
            long c0 = System.nanoTime();
            DomainClassifierModel prod = new DomainClassifier().configure(settings).fit(all.filter(col("validation").equalTo(false)));
            double cfit = (System.nanoTime() - c0) / 1e9;
            Map<String, Object> eval = ClassifierEvaluation.evaluate(prod, all.filter(col("validation")));
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("fit_seconds", round(cfit));
            p.put("sft_macro_f1", ((Map<?, ?>) eval.get("sft")).get("macro_f1"));
            p.put("prose_macro_f1", ((Map<?, ?>) eval.get("text")).get("macro_f1"));
            p.put("prose_accuracy", ((Map<?, ?>) eval.get("text")).get("accuracy"));
            p.put("prose_unlabeled_rate", ((Map<?, ?>) eval.get("text")).get("unlabeled_rate"));
            log.line("with prose: SFT macro-F1 " + p.get("sft_macro_f1") + ", prose macro-F1 " + p.get("prose_macro_f1"));
            r.put("ours_with_prose", p);
            all.unpersist();
        }
        sftExamples.unpersist();
        return r;
    }

    /** Records/s of classifying the test texts (cached, repeated {@code repeat} times), after a warm-up pass. */
    static double throughput(SparkSession spark, DomainClassifierModel model, Dataset<Row> test, int repeat) {
        Dataset<Row> texts = test.select("text");
        Dataset<Row> many = texts;
        for (int i = 1; i < repeat; i++) {
            many = many.unionAll(texts);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        many = many.repartition(cores).persist(StorageLevel.MEMORY_ONLY());
        long n = many.count();
        model.transform(many).agg(sum("confidence")).collect(); // warm-up
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            model.transform(many).agg(sum("confidence")).collect();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        many.unpersist();
        return n / best;
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    private static List<String> exec(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<String> out = new ArrayList<>();
            try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = br.readLine()) != null) {
                    out.add(line);
                }
            }
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed with exit code " + p.exitValue());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd.get(0) + " (install fastText: apt-get install fasttext)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
