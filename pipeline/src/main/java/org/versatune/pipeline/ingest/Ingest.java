package org.versatune.pipeline.ingest;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.HadoopConf;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.schema.TableSchema;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * The ingest stage: reads SFT JSON Lines, raw text and Parquet into canonical records ({@code record.avsc})
 * and rejected records with their reason ({@code rejected.avsc}). Every record read ends in exactly one of
 * the two outputs.
 */
public final class Ingest {
    public static final String STAGE = "ingest";
    public static final String RECORDS = "records";
    public static final String REJECTED = "rejected";
    private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

    /** Accepted and rejected records of one read, both conformed to their declared schemas. */
    public record Result(Dataset<Row> records, Dataset<Row> rejected, Map<String, Object> stats) {
    }

    private Ingest() {
    }

    /**
     * Reads {@code inputs} (files, directories, globs). {@code domain} labels records that carry no domain
     * (null: take it from the file name when that names a domain). The returned Datasets are cached; stats
     * are computed eagerly.
     */
    public static Result read(SparkSession spark, Settings settings, List<String> inputs, String domain) {
        long started = System.nanoTime();
        Domains domains = settings.domains();
        if (domain != null && !domains.contains(domain)) {
            throw new IllegalArgumentException("--domain '" + domain + "' is not one of the configured domains " + domains.names());
        }
        List<String> files = InputPaths.expand(spark.sparkContext().hadoopConfiguration(), inputs);
        files.forEach(FileRecords::format); // fail fast on unsupported files, before any work
        RecordParser parser = new RecordParser(domains, domain, settings.section("ingest").getBytes("max-record-bytes"));
        HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());

        List<String> streamed = new ArrayList<>(FileRecords.ofFormat(files, FileRecords.Format.JSONL));
        streamed.addAll(FileRecords.ofFormat(files, FileRecords.Format.TEXT));
        List<String> parquet = FileRecords.ofFormat(files, FileRecords.Format.PARQUET);

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        FileRecords reader = new FileRecords(conf, parser);
        JavaRDD<Row> rows = streamed.isEmpty() ? jsc.emptyRDD()
                : jsc.parallelize(streamed, Math.max(1, streamed.size())).flatMap(reader::read);
        if (!parquet.isEmpty()) {
            rows = rows.union(parquetRows(spark, parquet, parser));
        }
        spark.sparkContext().setJobDescription("ingest: read " + files.size() + " files");
        Dataset<Row> all = spark.createDataFrame(rows, IngestRow.SCHEMA);

        // First occurrence of an id (by file, line) wins; later ones are rejected as duplicates.
        WindowSpec byId = Window.partitionBy("id").orderBy(col("origin_file"), col("origin_line"),
                xxhash64(col("kind"), col("instruction"), col("input"), col("output"), col("text")));
        Dataset<Row> accepted = all.filter(col("accepted"))
                .withColumn("_rank", row_number().over(byId))
                .withColumn("_first", concat(first(col("origin_file")).over(byId), lit(":"),
                        first(col("origin_line")).over(byId).cast("string")));
        Column dup = col("_rank").gt(1);
        Dataset<Row> marked = accepted
                .withColumn("accepted", when(dup, lit(false)).otherwise(lit(true)))
                .withColumn("reason", when(dup, lit(RejectReason.DUPLICATE_ID.key())))
                .withColumn("field", when(dup, lit("id")))
                .withColumn("message", when(dup, concat(col("origin_file"), lit(":"), col("origin_line").cast("string"),
                        lit(": duplicate id '"), col("id"), lit("' (first seen at "), col("_first"), lit(")"))))
                .withColumn("raw", when(dup, col("raw")))   // the duplicate's own bytes, as read
                .drop("_rank", "_first")
                .unionByName(all.filter(col("accepted").equalTo(false)))
                .persist(StorageLevel.MEMORY_AND_DISK());

        Map<String, Object> stats = stats(marked, domains, files.size());
        stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
        Dataset<Row> records = TableSchema.of("record").conform(marked.filter(col("accepted")));
        Dataset<Row> rejected = TableSchema.of("rejected").conform(marked.filter(col("accepted").equalTo(false)));
        return new Result(records, rejected, stats);
    }

    private static JavaRDD<Row> parquetRows(SparkSession spark, List<String> files, RecordParser parser) {
        Dataset<Row> df = spark.read().parquet(files.toArray(new String[0]));
        Set<String> cols = Set.of(df.columns());
        boolean sft = cols.containsAll(List.of("id", "instruction", "output"));
        boolean text = cols.containsAll(List.of("id", "text"));
        if (!sft && !text) {
            throw new TableSchema.SchemaMismatchException("Parquet input " + files
                    + " has columns " + Arrays.toString(df.columns()) + "; expected an SFT table [id, domain?, instruction, "
                    + "input?, output, source?] or a text table [id, domain?, text, source?]");
        }
        List<Column> keep = new ArrayList<>();
        for (String c : List.of("id", "domain", "instruction", "input", "output", "text", "source")) {
            if (cols.contains(c)) {
                keep.add(col(c));
            }
        }
        Dataset<Row> json = df.select(to_json(struct(keep.toArray(new Column[0]))).as("json"),
                input_file_name().as("file"));
        return json.javaRDD().map(r -> parser.jsonRecord(r.getString(0).getBytes(StandardCharsets.UTF_8), r.getString(1), null));
    }

    private static Map<String, Object> stats(Dataset<Row> marked, Domains domains, int files) {
        List<Row> counts = marked.groupBy("accepted", "reason", "domain").count().collectAsList();
        long accepted = 0;
        long rejected = 0;
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (RejectReason r : RejectReason.values()) {
            byReason.put(r.key(), 0L);
        }
        Map<String, Long> byDomain = new LinkedHashMap<>();
        domains.names().forEach(d -> byDomain.put(d, 0L));
        for (Row r : counts) {
            long n = r.getLong(3);
            if (r.getBoolean(0)) {
                accepted += n;
                byDomain.merge(r.isNullAt(2) ? "(none)" : r.getString(2), n, Long::sum);
            } else {
                rejected += n;
                byReason.merge(r.getString(1), n, Long::sum);
            }
        }
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("files", files);
        stats.put("read", accepted + rejected);
        stats.put("accepted", accepted);
        stats.put("rejected", rejected);
        stats.put("rejected_by_reason", byReason);
        stats.put("accepted_by_domain", byDomain);
        return stats;
    }

    /** Runs the stage: reads, writes records and rejected outputs under {@code output}, commits. */
    public static Map<String, Object> run(SparkSession spark, Settings settings, List<String> inputs, String domain,
                                          String output, boolean overwrite) {
        InputPaths.requireOutputOutsideInputs(spark.sparkContext().hadoopConfiguration(), inputs, output);
        return StageOutput.run(spark, settings, output, STAGE, overwrite, out -> {
            Result result = read(spark, settings, inputs, domain);
            spark.sparkContext().setJobDescription("ingest: write records");
            result.records().repartition(col("domain")).sortWithinPartitions("domain", "id")
                    .write().partitionBy("domain").parquet(out.path(RECORDS));
            spark.sparkContext().setJobDescription("ingest: write rejected");
            result.rejected().repartition(1).sortWithinPartitions("origin_file", "origin_line", "reason", "message")
                    .write().parquet(out.path(REJECTED));
            LOG.info("ingest: read {} records: accepted {}, rejected {}", result.stats().get("read"),
                    result.stats().get("accepted"), result.stats().get("rejected"));
            return result.stats();
        });
    }
}
