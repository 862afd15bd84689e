package org.versatune.pipeline.probe;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.lm.Generator;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.NdThreads;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.util.FaultInjection;
import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The texts the model writes for the probe, its samples and its calibration continuations alike: distributed over
 * Spark in fixed chunks whose seeds come from (run seed, chunk index), so the result for a seed does not depend on the
 * number of executors or partitions.
 */
public final class ProbeGeneration {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeGeneration.class);

    private static final StructType GENERATED = new StructType(new StructField[]{
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("chunk", DataTypes.IntegerType, false),
            DataTypes.createStructField("text", DataTypes.StringType, false),
            DataTypes.createStructField("tokens", DataTypes.IntegerType, false)});

    private ProbeGeneration() {
    }

    /** Generates {@code samples} texts: one Spark task per chunk group, the model decoded once per executor. */
    public static Dataset<Row> generate(SparkSession spark, Settings settings, LmCheckpoint model, int samples, long seed) {
        return generate(spark, settings, model, samples, null, null, seed);
    }

    /** The same after {@code start} (what opens a unit in the model's layout) instead of the begin token. */
    public static Dataset<Row> generate(SparkSession spark, Settings settings, LmCheckpoint model, int samples, int[] start,
                                        long seed) {
        return generate(spark, settings, model, samples, null, start, seed);
    }

    /** Continues each prompt (token ids, without the start token) once, after {@code start}; ids follow the prompts' order. */
    public static Dataset<Row> generate(SparkSession spark, Settings settings, LmCheckpoint model, List<int[]> prompts, int[] start,
                                        long seed) {
        return generate(spark, settings, model, prompts.size(), prompts, start, seed);
    }

    static String sampleId(int chunk, int row) {
        return String.format("s%05d-%03d", chunk, row);
    }

    private static Dataset<Row> generate(SparkSession spark, Settings settings, LmCheckpoint model, int samples,
                                         List<int[]> prompts, int[] startOrNull, long seed) {
        int[] start = startOrNull != null ? startOrNull : new int[]{model.tokenizer().specials().bos()};
        var probe = settings.section("probe");
        int rows = probe.getInt("chunk-rows");
        int chunks = (samples + rows - 1) / rows;
        int partitions = probe.getInt("partitions") > 0 ? probe.getInt("partitions") : spark.sparkContext().defaultParallelism();
        partitions = Math.max(1, Math.min(partitions, chunks));
        Generator.Sampling sampling = Generator.Sampling.from(settings.section("lm").getConfig("generate"));
        int threads = NdThreads.perTask(spark, settings.section("lm").getInt("train.threads-per-task"), partitions);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelPayload> bc = jsc.broadcast(ModelPayload.of(spark, settings, model));
        List<Integer> ids = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            ids.add(c);
        }
        int[][] promptArray = prompts == null ? null : prompts.toArray(new int[0][]);
        String what = samples + (prompts == null ? " samples" : " continuations");
        LOG.info("probe: generating {} in {} tasks", what, partitions);
        spark.sparkContext().setJobDescription("probe: generate " + what);
        JavaRDD<Row> out = jsc.parallelize(ids, partitions).mapPartitions(it -> {
            FaultInjection.task("probe", TaskContext.get().attemptNumber());
            NdThreads.use(threads);
            ModelPayload.Loaded loaded = bc.value().load();
            TransformerLm lm = loaded.newModel();
            List<Row> res = new ArrayList<>();
            while (it.hasNext()) {
                int c = it.next();
                int n = Math.min(rows, samples - c * rows);
                int[][] chunkPrompts = promptArray == null ? new int[n][] : Arrays.copyOfRange(promptArray, c * rows, c * rows + n);
                List<int[]> gen = Generator.generate(lm, start, loaded.tokenizer().specials(), chunkPrompts, sampling, Seeds.derive(seed, "chunk", c));
                for (int r = 0; r < n; r++) {
                    res.add(RowFactory.create(sampleId(c, r), c, loaded.tokenizer().decode(gen.get(r)),
                            gen.get(r).length));
                }
            }
            return res.iterator();
        });
        return spark.createDataFrame(out, GENERATED);
    }

    /** Samples made elsewhere, in the generated samples' columns (no token count: 0). */
    static Dataset<Row> readSamples(SparkSession spark, List<String> inputs, Domains domains) {
        List<Row> rows = new ArrayList<>();
        for (ExternalSamples.Sample s : ExternalSamples.read(spark, inputs, false, domains)) {
            rows.add(RowFactory.create(s.id(), 0, s.text(), 0));
        }
        return spark.createDataFrame(rows, GENERATED);
    }
}
