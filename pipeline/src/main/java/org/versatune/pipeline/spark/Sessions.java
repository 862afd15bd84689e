package org.versatune.pipeline.spark;

import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.lm.NdThreads;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * SparkSession for a VersaTune run. Under spark-submit or in a notebook the existing master and settings
 * win; only when none is set does it start embedded Spark ({@code versatune.spark.master}, default local[*]).
 */
public final class Sessions {
    private Sessions() {
    }

    public static SparkSession getOrCreate(Settings settings) {
        var sparkConf = settings.section("spark");
        SparkConf conf = new SparkConf();
        String runId = settings.root().getString("run.id");
        SparkSession.Builder b = SparkSession.builder().appName(sparkConf.getString("app-name") + (runId.isEmpty() ? "" : " " + runId));
        if (!conf.contains("spark.master")) {
            String master = sparkConf.getString("master");
            b.master(master);
            if (master.startsWith("local")) {
                b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.ui.enabled", "false");
            }
        }
        b.config("spark.sql.shuffle.partitions", String.valueOf(sparkConf.getInt("shuffle-partitions")));
        // the one thread setting, read by every model task of the session (NdThreads)
        b.config(NdThreads.SPARK_KEY, String.valueOf(settings.section("lm").getInt("train.threads-per-task")));
        applyCommon(b);
        return withoutChecksumFiles(b.getOrCreate());
    }

    /** Local outputs without Hadoop's .crc side files (they clutter run folders and add nothing on a local disk). */
    static SparkSession withoutChecksumFiles(SparkSession spark) {
        try {
            FileSystem.getLocal(spark.sparkContext().hadoopConfiguration()).setWriteChecksum(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return spark;
    }

    /** Settings every VersaTune session needs, whoever creates it. */
    public static void applyCommon(SparkSession.Builder b) {
        // domain=... partitions are names, never numbers or dates
        b.config("spark.sql.sources.partitionColumnTypeInference.enabled", "false");
        b.config("spark.sql.parquet.compression.codec", "snappy");
    }

    /** A small embedded session (tests, notebooks without a cluster). */
    public static SparkSession local(String appName, int cores) {
        return local(appName, cores, 1);
    }

    /** An embedded session whose tasks are attempted up to {@code maxFailures} times (local[n,f]). */
    public static SparkSession local(String appName, int cores, int maxFailures) {
        SparkSession.Builder b = SparkSession.builder().appName(appName).master("local[" + cores + "," + maxFailures + "]")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4");
        applyCommon(b);
        return withoutChecksumFiles(b.getOrCreate());
    }
}
