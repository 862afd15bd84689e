package org.versatune.pipeline.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.SftFormat;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

/** SFT records as training and evaluation data: tokenized on executors, sharded deterministically. */
public final class SftData {
    private SftData() {
    }

    /**
     * Training examples in {@code partitions} shards: a record's shard is a hash of (id, copy), and each shard is
     * sorted, so shards do not depend on how the input was partitioned.
     */
    public static JavaRDD<SftFormat.Example> examples(SparkSession spark, Dataset<Row> records, BpeTokenizer tok, int context,
                                                      int partitions, long seed) {
        Broadcast<BpeTokenizer> bt = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tok);
        Dataset<Row> withCopy = java.util.Arrays.asList(records.columns()).contains("copy") ? records : records.withColumn("copy", lit(0));
        Dataset<Row> keyed = withCopy.withColumn("_key", xxhash64(col("id"), col("copy"), lit(seed)))
                .withColumn("_shard", pmod(col("_key"), lit(partitions)));
        return keyed.repartition(partitions, col("_shard")).sortWithinPartitions("_key", "id", "copy")
                .select("instruction", "input", "output", "text").javaRDD().map(r -> r.isNullAt(3)
                        ? SftFormat.sft(bt.value(), r.getString(0), r.getString(1), r.getString(2), context)
                        : SftFormat.window(windowTokens(bt.value(), r.getString(3), context)));
    }

    private static int[] windowTokens(BpeTokenizer tok, String text, int context) {
        int[] body = tok.encode(text);
        int n = Math.min(body.length + 1, context + 1);
        int[] out = new int[n];
        out[0] = BpeTokenizer.BOS;
        System.arraycopy(body, 0, out, 1, n - 1);
        return out;
    }

    /** At most {@code perDomain} records per domain, chosen by a seeded hash of the id. */
    public static Dataset<Row> capPerDomain(Dataset<Row> records, int perDomain, long seed) {
        return records.withColumn("_r", row_number().over(Window.partitionBy("domain").orderBy(xxhash64(col("id"), lit(seed)), col("id"))))
                .filter(col("_r").leq(perDomain)).drop("_r");
    }
}
