package org.versatune.pipeline.train;

import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.SftFormat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

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
        Dataset<Row> withCopy = Arrays.asList(records.columns()).contains("copy") ? records.withColumn("copy", col("copy").cast("int"))
                : records.withColumn("copy", lit(0));
        Dataset<Row> keyed = withCopy.withColumn("_key", xxhash64(col("id"), col("copy"), lit(seed)))
                .withColumn("_shard", pmod(col("_key"), lit(partitions)).cast("int"));
        // shard i goes to partition i exactly (a HashPartitioner on small ints is the identity), then each shard is
        // sorted, so the shards do not depend on how the input was partitioned
        return keyed.select("_shard", "_key", "id", "copy", "instruction", "input", "output", "text").javaRDD()
                .mapToPair(r -> new scala.Tuple2<>(r.getInt(0), r))
                .partitionBy(new HashPartitioner(partitions))
                .values()
                .mapPartitions(it -> {
                    List<Row> rows = new ArrayList<>();
                    it.forEachRemaining(rows::add);
                    rows.sort(Comparator.<Row>comparingLong(r -> r.getLong(1)).thenComparing(r -> r.getString(2))
                            .thenComparingInt(r -> r.getInt(3)));
                    List<SftFormat.Example> out = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        out.add(r.isNullAt(7) ? SftFormat.sft(bt.value(), r.getString(4), r.getString(5), r.getString(6), context)
                                : SftFormat.window(windowTokens(bt.value(), r.getString(7), context)));
                    }
                    return out.iterator();
                });
    }

    private static int[] windowTokens(BpeTokenizer tok, String text, int context) {
        int[] body = tok.encode(text);
        int n = Math.min(body.length + 1, context + 1);
        int[] out = new int[n];
        out[0] = tok.specials().bos();
        System.arraycopy(body, 0, out, 1, n - 1);
        return out;
    }

    /** At most {@code perDomain} records per domain, chosen by a seeded hash of the id. */
    public static Dataset<Row> capPerDomain(Dataset<Row> records, int perDomain, long seed) {
        return records.withColumn("_r", row_number().over(Window.partitionBy("domain").orderBy(xxhash64(col("id"), lit(seed)), col("id"))))
                .filter(col("_r").leq(perDomain)).drop("_r");
    }
}
