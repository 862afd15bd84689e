package org.versatune.pipeline.eval;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.SftFormat;
import org.versatune.pipeline.schema.TableSchema;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

/**
 * Evaluation inputs: SFT records (scored on their responses) and multiple-choice items ({@code mc_item.avsc}),
 * told apart by their fields. Both are tokenized on the executors.
 */
public final class EvalInputs {
    /** Unusable multiple-choice items named one by one in the stats (all are counted). */
    static final int REPORTED_UNUSABLE = 100;
    private static final Logger LOG = LoggerFactory.getLogger(EvalInputs.class);

    private EvalInputs() {
    }

    /** The inputs, split into SFT records and multiple-choice items, with counts of what was dropped. */
    public record Data(Dataset<Row> sft, Dataset<Row> mc, Map<String, Object> stats) {
    }

    public static Data read(SparkSession spark, Settings settings, List<String> inputs) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> files = InputPaths.expand(conf, inputs);
        List<String> mcFiles = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (String f : files) {
            (isMultipleChoice(conf, f) ? mcFiles : other).add(f);
        }
        Map<String, Object> stats = new LinkedHashMap<>();
        Dataset<Row> sft = null;
        if (!other.isEmpty()) {
            Ingest.Result in = Ingest.read(spark, settings, other, null);
            sft = in.records().filter(col("kind").equalTo("sft").and(col("domain").isNotNull()));
            stats.put("sft_input", in.stats());
        }
        Dataset<Row> mc = null;
        if (!mcFiles.isEmpty()) {
            Domains domains = settings.domains();
            TableSchema schema = TableSchema.of("mc_item");
            Dataset<Row> raw = spark.read().schema(schema.struct().add("_corrupt_record", DataTypes.StringType))
                    .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", "_corrupt_record")
                    .json(mcFiles.toArray(new String[0]))
                    .withColumn("_file", functions.input_file_name());
            UDF2<String, String, String> dom = (d, file) -> {
                if (d != null) {
                    return d;
                }
                String stem = InputPaths.stem(file);
                return domains.contains(stem) ? stem : domains.contains(stem.split("_")[0]) ? stem.split("_")[0] : null;
            };
            Dataset<Row> withDomain = raw.withColumn("domain", functions.udf(dom, DataTypes.StringType)
                    .apply(col("domain"), col("_file")));
            Column choices = functions.size(col("choices"));
            Column reason = when(col("_corrupt_record").isNotNull(), lit("malformed JSON or a field of the wrong type"))
                    .when(col("id").isNull(), lit("no id"))
                    .when(col("question").isNull(), lit("no question"))
                    .when(col("choices").isNull().or(choices.lt(2)), lit("fewer than 2 choices"))
                    .when(col("answer_index").isNull(), lit("no answer_index"))
                    .when(col("answer_index").lt(0).or(col("answer_index").geq(choices)),
                            concat(lit("answer_index "), col("answer_index").cast("string"), lit(" is not one of the "),
                                    choices.cast("string"), lit(" choices")))
                    .when(col("domain").isNull(), lit("no domain (neither a field nor a domain file name)"));
            Dataset<Row> judged = withDomain.withColumn("_reason", reason).persist(StorageLevel.MEMORY_AND_DISK());
            mc = judged.filter(col("_reason").isNull()).drop("_file", "_reason", "_corrupt_record");
            long kept = mc.count();
            List<Map<String, Object>> unusable = new ArrayList<>();
            for (Row r : judged.filter(col("_reason").isNotNull()).select("_file", "id", "_reason")
                    .orderBy("_file", "id").limit(REPORTED_UNUSABLE).collectAsList()) {
                Map<String, Object> u = new LinkedHashMap<>();
                u.put("file", r.getString(0));
                u.put("id", r.getString(1));
                u.put("reason", r.getString(2));
                unusable.add(u);
                LOG.warn("evaluation item {} in {} left out: {}", r.getString(1), r.getString(0), r.getString(2));
            }
            long total = judged.count();
            stats.put("mc_items", kept);
            stats.put("mc_items_unusable", total - kept);
            stats.put("mc_items_unusable_examples", unusable);
            judged.unpersist();
        }
        return new Data(sft, mc, stats);
    }

    /** True when the file's first record has {@code question} and {@code choices} (the eval item format). */
    public static boolean isMultipleChoice(Configuration conf, String file) {
        String name = file.toLowerCase(Locale.ROOT);
        if (!(name.endsWith(".jsonl") || name.endsWith(".jsonl.gz") || name.endsWith(".json") || name.endsWith(".json.gz"))) {
            return false;
        }
        try {
            Path p = new Path(file);
            try (InputStream raw = p.getFileSystem(conf).open(p);
                 BufferedReader r = new BufferedReader(new InputStreamReader(
                         name.endsWith(".gz") ? new GZIPInputStream(raw) : raw, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!line.isBlank()) {
                        JsonNode n = Json.MAPPER.readTree(line);
                        return n != null && n.has("question") && n.has("choices");
                    }
                }
            }
            return false;
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("eval input " + file + " does not exist", e);
        } catch (IOException e) {
            // an unreadable file is not silently taken for SFT records: its kind cannot be told
            throw new UncheckedIOException(new IOException("cannot read eval input " + file + " to tell multiple-choice "
                    + "items from SFT records: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("cannot inspect " + file + ": " + e.getMessage(), e));
        }
    }

    /**
     * Items spread over the session's shuffle-partition count by a hash of their id and sorted by id within each
     * partition: scoring batches, and so every loss to the last bit, depend on the data alone, not on how the
     * input was split or which process reads it.
     */
    static Dataset<Row> ordered(SparkSession spark, Dataset<Row> items) {
        int n = Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions"));
        return items.repartition(n, col("id")).sortWithinPartitions("domain", "id");
    }

    /** SFT records as scoring items (response tokens only), tokenized on executors. */
    public static JavaRDD<DomainEvaluator.Item> sftItems(SparkSession spark, Dataset<Row> sft, BpeTokenizer tok, int context) {
        Broadcast<BpeTokenizer> bt = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tok);
        return ordered(spark, sft).select("id", "domain", "instruction", "input", "output").javaRDD().map(r ->
                new DomainEvaluator.Item(r.getString(0), r.getString(1),
                        SftFormat.sft(bt.value(), r.getString(2), r.getString(3), r.getString(4), context)));
    }

    /** Multiple-choice items as one example per choice, tokenized on executors. */
    public static JavaRDD<DomainEvaluator.Choice> mcItems(SparkSession spark, Dataset<Row> mc, BpeTokenizer tok, int context) {
        Broadcast<BpeTokenizer> bt = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tok);
        return ordered(spark, mc).select("id", "domain", "question", "choices", "answer_index").javaRDD().map(r -> {
            int[] q = bt.value().encode(r.getString(2));
            List<String> choices = r.getList(3);
            List<SftFormat.Example> ex = new ArrayList<>();
            for (String c : choices) {
                ex.add(SftFormat.pair(bt.value().specials(), q, bt.value().encode(c == null ? "" : c), context));
            }
            return new DomainEvaluator.Choice(r.getString(0), r.getString(1), ex, r.getInt(4));
        });
    }
}
