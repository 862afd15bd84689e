package org.versatune.pipeline.mixture;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.spark.TaskFaults;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Draws exact per-domain counts from a pool, deterministically: within a domain records are ranked by
 * hash(seed, stage, id); a domain with n records and a count of c takes every record c / n times and the
 * c mod n lowest-ranked once more. Only a narrow projection (domain, rank, id) is sorted, to find each
 * domain's cut-off; the full records are then filtered by it, so the result is the same whatever the pool's
 * partitioning or the cluster's size.
 */
public final class MixtureSampler {
    public enum Shortage { REPLACE, REDISTRIBUTE }

    private MixtureSampler() {
    }

    public static Column rank(long seed, int stage) {
        return xxhash64(col("id"), lit(seed), lit(stage));
    }

    /** Records per domain in the pool. */
    public static long[] poolSizes(Dataset<Row> pool, Domains domains) {
        long[] n = new long[domains.size()];
        for (Row r : pool.groupBy("domain").count().collectAsList()) {
            if (r.getString(0) != null && domains.contains(r.getString(0))) {
                n[domains.indexOf(r.getString(0))] = r.getLong(1);
            }
        }
        return n;
    }

    /**
     * Counts after the shortage policy: {@code replace} keeps the allocation; {@code redistribute} caps each
     * domain at its pool size and gives the shortfall to domains with room, in proportion to their weights.
     */
    public static long[] applyShortage(long[] counts, long[] pool, double[] weights, Shortage policy, Domains domains) {
        long[] c = counts.clone();
        for (int i = 0; i < c.length; i++) {
            if (c[i] > 0 && pool[i] == 0) {
                throw new IllegalArgumentException("the mixture needs " + c[i] + " records of domain '" + domains.name(i)
                        + "' but the pool has none; give it weight 0 or add records of that domain");
            }
        }
        if (policy == Shortage.REPLACE) {
            return c;
        }
        long total = Arrays.stream(c).sum();
        if (total > Arrays.stream(pool).sum()) {
            throw new IllegalArgumentException("the pool has " + java.util.Arrays.stream(pool).sum() + " records, fewer than the "
                    + total + " requested; use shortage policy replace or a smaller size");
        }
        while (true) {
            long deficit = 0;
            double roomWeight = 0;
            for (int i = 0; i < c.length; i++) {
                if (c[i] > pool[i]) {
                    deficit += c[i] - pool[i];
                    c[i] = pool[i];
                }
            }
            if (deficit == 0) {
                return c;
            }
            double[] share = new double[c.length];
            for (int i = 0; i < c.length; i++) {
                if (c[i] < pool[i]) {
                    share[i] = weights[i] > 0 ? weights[i] : 1e-12;
                    roomWeight += share[i];
                }
            }
            long[] extra = Allocation.largestRemainder(roomWeight > 0 ? share : ones(c.length), deficit);
            for (int i = 0; i < c.length; i++) {
                c[i] += extra[i];
            }
        }
    }

    private static double[] ones(int k) {
        double[] o = new double[k];
        Arrays.fill(o, 1);
        return o;
    }

    /** The mixture rows ({@code mixture.avsc}) for the given per-domain counts. */
    public static Dataset<Row> sample(Dataset<Row> pool, Domains domains, long[] counts, long[] poolSizes, long seed, int stage) {
        Dataset<Row> ranked = TaskFaults.hook(pool, "compose").withColumn("mixture_rank", rank(seed, stage));
        // cut-offs: the (c mod n)-th record of each domain in rank order
        Map<String, Long> remainder = new LinkedHashMap<>();
        Map<String, Long> full = new HashMap<>();
        for (int i = 0; i < domains.size(); i++) {
            if (counts[i] == 0) {
                continue;
            }
            full.put(domains.name(i), counts[i] / poolSizes[i]);
            remainder.put(domains.name(i), counts[i] % poolSizes[i]);
        }
        Column rem = lit(0L);
        Column fullCol = lit(0L);
        for (var e : remainder.entrySet()) {
            rem = when(col("domain").equalTo(e.getKey()), e.getValue()).otherwise(rem);
            fullCol = when(col("domain").equalTo(e.getKey()), full.get(e.getKey())).otherwise(fullCol);
        }
        Dataset<Row> narrow = ranked.select(col("domain"), col("mixture_rank"), col("id"))
                .filter(col("domain").isin(remainder.keySet().toArray()))
                .withColumn("_pos", row_number().over(Window.partitionBy("domain").orderBy("mixture_rank", "id")))
                .withColumn("_rem", rem)
                .filter(col("_pos").equalTo(col("_rem")))
                .select(col("domain").as("_d"), col("mixture_rank").as("_cut_rank"), col("id").as("_cut_id"));
        List<Row> cuts = narrow.collectAsList();
        Column cutRank = lit(Long.MIN_VALUE);
        Column cutId = lit("");
        for (Row r : cuts) {
            cutRank = when(col("domain").equalTo(r.getString(0)), r.getLong(1)).otherwise(cutRank);
            cutId = when(col("domain").equalTo(r.getString(0)), r.getString(2)).otherwise(cutId);
        }
        Column withinCut = col("mixture_rank").lt(cutRank)
                .or(col("mixture_rank").equalTo(cutRank).and(col("id").leq(cutId)));
        Column copies = fullCol.plus(when(withinCut, 1L).otherwise(0L));
        Dataset<Row> chosen = ranked.filter(col("domain").isin(remainder.keySet().toArray()))
                .withColumn("_copies", copies)
                .filter(col("_copies").gt(0))
                .withColumn("copy", explode(sequence(lit(0), col("_copies").minus(1).cast("int"))));
        return TableSchema.of("mixture").conform(chosen);
    }
}
