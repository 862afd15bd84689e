package org.versatune.jobs.bench;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.mixture.ComposeStage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

/**
 * Compose at scale: the SFT pool replicated with new ids to N records (written once as Parquet, not timed), then
 * the compose stage timed end to end (read, fingerprint, draw, write, manifest) for each N.
 */
public final class ComposeBenchmark {
    private ComposeBenchmark() {
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, List<String> input, List<Long> sizes, long mixture,
                                          String work, LmBenchmark.PrintLog log) {
        Dataset<Row> base = Ingest.read(spark, settings, input, null).records().cache();
        long n0 = base.count();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("base_records", n0);
        out.put("mixture_size", mixture);
        Map<String, Object> runs = new LinkedHashMap<>();
        for (long n : sizes) {
            String pool = work + "/pool-" + n;
            // whole copies (no global sort to cut at exactly n): the pool holds copies x base records >= n
            long copies = (n + n0 - 1) / n0;
            if (!StageOutput.isComplete(spark.sparkContext().hadoopConfiguration(), pool, "bench-pool")) {
                log.line("writing a pool of " + copies * n0 + " records (" + copies + " copies of the base pool with new ids)");
                Dataset<Row> rep = base.crossJoin(spark.range(copies).withColumnRenamed("id", "_copy"))
                        .withColumn("id", concat(col("id"), lit("#"), col("_copy").cast("string")))
                        .drop("_copy");
                StageOutput o = StageOutput.open(spark.sparkContext().hadoopConfiguration(), pool, "bench-pool", true);
                rep.write().partitionBy("domain").parquet(o.path("records"));
                o.commit(Map.of("records", copies * n0), settings);
            }
            String outDir = work + "/mixture-" + n;
            long t0 = System.nanoTime();
            Map<String, Object> m = ComposeStage.run(spark, settings, List.of(pool + "/records"),
                    new ComposeStage.Request("uniform", null, null, null, null, mixture, null, 1), outDir, true);
            double s = (System.nanoTime() - t0) / 1e9;
            log.line(String.format("compose from %d records: %.1f s (%d drawn)", n, s, ((Number) m.get("realised_total")).longValue()));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("pool_records", copies * n0);
            r.put("seconds", Math.round(s * 10) / 10.0);
            r.put("realised_total", m.get("realised_total"));
            r.put("mixture_fingerprint", m.get("mixture_fingerprint"));
            runs.put(String.valueOf(n), r);
        }
        out.put("runs", runs);
        if (sizes.size() >= 2) {
            double a = ((Number) ((Map<?, ?>) runs.get(String.valueOf(sizes.get(0)))).get("seconds")).doubleValue();
            double b = ((Number) ((Map<?, ?>) runs.get(String.valueOf(sizes.get(sizes.size() - 1)))).get("seconds")).doubleValue();
            out.put("time_ratio_largest_to_smallest", Math.round(b / a * 100) / 100.0);
            out.put("size_ratio_largest_to_smallest", (double) sizes.get(sizes.size() - 1) / sizes.get(0));
        }
        base.unpersist();
        return out;
    }
}
