package org.versatune.pipeline.pretrain;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.eval.DomainEvaluator;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.Optimizer;
import org.versatune.pipeline.lm.SftFormat;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.mixture.Allocation;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.parallel.Checkpoints;
import org.versatune.pipeline.parallel.DataParallelTrainer;
import org.versatune.pipeline.util.Seeds;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Pretrains a base model on raw domain text drawn with an exact domain mixture of tokens, so that what the
 * model "knows" is known. Documents become windows of up to context+1 tokens; each domain's windows are ranked
 * by a seeded hash and taken until the domain's token share is reached (cycling through the domain again when
 * it has too little text). A seeded share of documents is held out to report per-domain loss before and after;
 * which documents were trained on and which held out is saved beside the model ({@link PretrainDocuments}).
 */
public final class PretrainStage {
    public static final String STAGE = "pretrain";
    private static final Logger LOG = LoggerFactory.getLogger(PretrainStage.class);

    private PretrainStage() {
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, List<String> inputs, MixtureWeights mix,
                                          long tokens, String output, boolean overwrite, boolean resume) {
        if (tokens < 1) {
            // before any work: a zero budget would write an untrained model marked complete
            throw new IllegalArgumentException("--tokens (versatune.lm.pretrain.tokens) must be at least 1, got " + tokens);
        }
        var conf = spark.sparkContext().hadoopConfiguration();
        InputPaths.requireOutputOutsideInputs(conf, inputs, output);
        try (Checkpoints ckpts = new Checkpoints(conf, output)) {
            Map<String, Object> stats = StageOutput.run(spark, settings, output, STAGE, overwrite,
                    out -> train(spark, settings, inputs, mix, tokens, output, resume, ckpts, out));
            ckpts.discard();
            return stats;
        }
    }

    private static Map<String, Object> train(SparkSession spark, Settings settings, List<String> inputs, MixtureWeights mix,
                                             long tokens, String output, boolean resume, Checkpoints ckpts, StageOutput out) {
        var conf = spark.sparkContext().hadoopConfiguration();
        long started = System.nanoTime();
        Domains domains = settings.domains();
        long seed = Seeds.derive(settings.seed(), STAGE);
        var lm = settings.section("lm");
        var train = lm.getConfig("train");
        var pre = lm.getConfig("pretrain");
        LmCheckpoint previous = resume ? ckpts.latest() : null;
        if (resume && previous == null) {
            LOG.info("--resume: no checkpoint found for {}; starting from the beginning", output);
        }
        Ingest.Result in = Ingest.read(spark, settings, inputs, null);
        Dataset<Row> docs = in.records().filter(col("kind").equalTo("text"))
                .select(col("id"), col("domain"), col("text"));
        long unlabelled = docs.filter(col("domain").isNull()).count();
        if (unlabelled > 0) {
            throw new IllegalArgumentException(unlabelled + " input documents have no domain: name files after "
                    + "their domain (law.txt.gz, ...) or pass one domain per run with ingest --domain");
        }
        double heldout = pre.getDouble("heldout-fraction");
        docs = docs.withColumn("heldout", udf(
                (UDF1<String, Boolean>) id -> Seeds.uniform(seed, "heldout:" + id) < heldout,
                DataTypes.BooleanType).apply(col("id"))).persist(StorageLevel.MEMORY_AND_DISK());

        BpeTokenizer tok = previous != null ? previous.tokenizer()
                : trainTokenizer(docs.filter(col("heldout").equalTo(false)), domains, lm.getInt("tokenizer.vocab-size"),
                lm.getLong("tokenizer.train-chars"), seed);
        LmConfig cfg = previous != null ? previous.config() : LmConfig.from(lm.getConfig("model"), tok.vocabSize());
        Broadcast<BpeTokenizer> btok = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tok);
        DocumentWindows.Layout layout = DocumentWindows.Layout.parse(pre.getString("layout"));
        if (previous != null && previous.state().get("layout") instanceof String l && !l.equals(layout.id())) {
            throw new IllegalArgumentException("--resume: " + output + " was pretrained with layout " + l + ", not "
                    + layout.id() + " (versatune.lm.pretrain.layout); resume with the same layout or start another output");
        }
        // the units the mixture draws: windows (window-bos) or whole documents (packed layouts, cut after packing)
        Dataset<Row> windows = (layout == DocumentWindows.Layout.WINDOW_BOS ? windows(spark, docs, btok, cfg.context(), seed)
                : documents(spark, docs, btok, layout)).persist(StorageLevel.MEMORY_AND_DISK());

        Selection sel = select(windows.filter(col("heldout").equalTo(false)), domains, mix, tokens, seed);
        PretrainDocuments documents = PretrainDocuments.of(docs, new HashSet<>(sel.windows.select("id").distinct()
                .as(Encoders.STRING()).collectAsList()), inputs, InputPaths.expand(conf, inputs), seed, heldout);
        int partitions = Math.max(1, train.getInt("partitions"));
        JavaRDD<SftFormat.Example> data = (layout == DocumentWindows.Layout.WINDOW_BOS
                ? toExamples(sel.windows.repartition(partitions, col("rank")).sortWithinPartitions("rank"))
                : pack(sel.windows, cfg.context() + 1, partitions)).persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> heldDocs = windows.filter(col("heldout"));
        JavaRDD<DomainEvaluator.Item> held = heldOut(layout == DocumentWindows.Layout.WINDOW_BOS ? heldDocs
                : pieces(spark, heldDocs, cfg.context() + 1), pre.getLong("heldout-max-tokens"), seed);

        DataParallelTrainer.Options opts = DataParallelTrainer.Options.of(spark, train, partitions, seed, STAGE, 0);
        long steps = DataParallelTrainer.stepsPerEpoch(data, cfg, opts);
        Optimizer.Schedule schedule = Optimizer.Schedule.from(train, steps);
        TransformerLm init = TransformerLm.initialise(cfg, Seeds.derive(seed, "init"), DataType.FLOAT);
        int evalBatch = train.getInt("eval-tokens-per-batch");
        Map<String, Object> heldInit;
        DataParallelTrainer.State start;
        if (previous != null) {
            start = new DataParallelTrainer.State(previous.params(), previous.optimizerState(), previous.step());
            heldInit = castMap(previous.state().get("heldout_loss_initial"));
            LOG.info("resuming {} at step {} of {}", output, previous.step(), steps);
        } else {
            start = new DataParallelTrainer.State(init.params(), Optimizer.fresh(schedule, init.params()).state(), 0);
            heldInit = losses(DomainEvaluator.loss(spark, ModelPayload.of(cfg, tok, init.params()), held, evalBatch,
                    "pretrain: held-out loss (initial)"));
        }
        Map<String, Object> heldInitFinal = heldInit;
        long checkpointEvery = train.getLong("checkpoint-every");
        long[] lastSaved = {start.step()};
        long trainStarted = System.nanoTime();
        DataParallelTrainer.State end = DataParallelTrainer.train(spark, data, cfg, start, schedule, steps, opts,
                (state, round) -> {
                    ckpts.offer(() -> checkpoint(cfg, tok, state, heldInitFinal, steps, layout));
                    if (state.step() - lastSaved[0] >= checkpointEvery && state.step() < steps) {
                        ckpts.save(checkpoint(cfg, tok, state, heldInitFinal, steps, layout));
                        lastSaved[0] = state.step();
                    }
                });
        double trainSeconds = (System.nanoTime() - trainStarted) / 1e9;
        Map<String, Object> heldFinal = losses(DomainEvaluator.loss(spark, ModelPayload.of(cfg, tok, end.params()), held,
                evalBatch, "pretrain: held-out loss (final)"));
        LmCheckpoint result = checkpoint(cfg, tok, end, heldInit, steps, layout);

        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("model", cfg.toJson());
        stats.put("layout", layout.id());
        stats.put("tokens_requested", tokens);
        stats.put("tokens_trained", sel.realised.values().stream().mapToLong(Long::longValue).sum());
        stats.put("mix_requested", mix.toMap());
        stats.put("tokens_by_domain", sel.realised);
        stats.put("mix_realised", shares(sel.realised, domains));
        stats.put("repeats_by_domain", sel.copies);
        stats.put("steps", steps);
        stats.put("partitions", partitions);
        // this process's training time and rate (a resumed run counts only its own steps)
        stats.put("train_seconds", Math.round(trainSeconds * 100) / 100.0);
        stats.put("train_tokens_per_s", Math.round((end.step() - start.step()) * (double) train.getInt("tokens-per-batch")
                * partitions / Math.max(1e-9, trainSeconds)));
        stats.put("heldout_loss_initial", heldInit);
        stats.put("heldout_loss_final", heldFinal);
        stats.put("heldout_loss_lowered_everywhere", lowered(heldInit, heldFinal));
        stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
        stats.put("input", in.stats());
        stats.put("documents_trained", documents.trainedIds().size());
        stats.put("documents_heldout", documents.heldoutIds().size());
        stats.put("documents_unselected", documents.unselected().values().stream().mapToInt(List::size).sum());
        result.writeInto(conf, out.tmpDir());
        documents.write(conf, out.tmpDir());
        data.unpersist();
        windows.unpersist();
        docs.unpersist();
        return stats;
    }

    static LmCheckpoint checkpoint(LmConfig cfg, BpeTokenizer tok, DataParallelTrainer.State s, Map<String, Object> heldInit,
                                   long totalSteps, DocumentWindows.Layout layout) {
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("stage", STAGE);
        // how the base saw its text: the probe reads the model through the same layout
        st.put("layout", layout.id());
        st.put("step", s.step());
        st.put("total_steps", totalSteps);
        st.put("heldout_loss_initial", heldInit);
        return new LmCheckpoint(cfg, tok, s.params(), s.optimizer(), st);
    }

    /** Learns the BPE merges from a bounded, seeded, domain-balanced sample of training documents. */
    static BpeTokenizer trainTokenizer(Dataset<Row> docs, Domains domains, int vocab, long chars, long seed) {
        long perDomain = Math.max(1, chars / domains.size());
        Dataset<Row> ranked = docs.withColumn("r", xxhash64(col("id"),
                        lit(seed)))
                .withColumn("len", length(col("text")))
                .withColumn("cum", sum(col("len")).over(Window.partitionBy("domain").orderBy("r", "id")))
                .filter(col("cum").minus(col("len")).lt(perDomain))
                .orderBy("domain", "r", "id");
        List<String> sample = new ArrayList<>();
        for (Row r : ranked.select("text", "len", "cum").collectAsList()) {
            String t = r.getString(0);
            long over = r.getLong(2) - perDomain;
            sample.add(over > 0 ? t.substring(0, (int) Math.max(1, t.length() - over)) : t);
        }
        LOG.info("learning a {}-token BPE vocabulary from {} documents", vocab, sample.size());
        return BpeTokenizer.train(sample, vocab);
    }

    private static final StructType WINDOWS = new StructType(new StructField[]{
            DataTypes.createStructField("domain", DataTypes.StringType, false),
            DataTypes.createStructField("heldout", DataTypes.BooleanType, false),
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("chunk", DataTypes.IntegerType, false),
            DataTypes.createStructField("len", DataTypes.IntegerType, false),
            DataTypes.createStructField("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false)});

    /**
     * Each document as {@code text <eos>} cut into windows of up to context tokens (stride context), each preceded
     * by the begin token. Every window starting with it matters for the probe: the model then learns that text
     * from anywhere in a domain follows the begin token in proportion to the domain's tokens, so what it writes
     * from the begin token alone reflects the token mixture (windows only at document starts would reflect the
     * mixture of document starts instead, skewed toward domains of short documents).
     */
    static Dataset<Row> windows(SparkSession spark, Dataset<Row> docs, Broadcast<BpeTokenizer> tok, int context, long seed) {
        JavaRDD<Row> rows = docs.select("id", "domain", "text", "heldout").javaRDD().flatMap(r -> {
            int[] all = DocumentWindows.withEnd(tok.value().encode(r.getString(2)), tok.value().specials().eos());
            List<Row> out = new ArrayList<>();
            for (int c = 0; c < DocumentWindows.count(all.length, context); c++) {
                int[] w = DocumentWindows.window(all, c, context, tok.value().specials().bos());
                out.add(RowFactory.create(r.getString(1), r.getBoolean(3), r.getString(0), c, w.length - 1, w));
            }
            return out.iterator();
        });
        return spark.createDataFrame(rows, WINDOWS);
    }

    /** One row per document (chunk 0) holding its tokens as the packed layout lays it out. */
    static Dataset<Row> documents(SparkSession spark, Dataset<Row> docs, Broadcast<BpeTokenizer> tok, DocumentWindows.Layout layout) {
        JavaRDD<Row> rows = docs.select("id", "domain", "text", "heldout").javaRDD().map(r -> {
            int[] t = layout.document(tok.value().encode(r.getString(2)), tok.value().specials().bos(), tok.value().specials().eos());
            return RowFactory.create(r.getString(1), r.getBoolean(3), r.getString(0), 0, t.length, t);
        });
        return spark.createDataFrame(rows, WINDOWS);
    }

    /** Documents cut into pieces of {@code length} tokens each, no piece across documents (held-out scoring per domain). */
    static Dataset<Row> pieces(SparkSession spark, Dataset<Row> documents, int length) {
        JavaRDD<Row> rows = documents.select("domain", "heldout", "id", "tokens").javaRDD().flatMap(r -> {
            int[] t = ints(r.getList(3));
            List<Row> out = new ArrayList<>();
            for (int c = 0; c * length < t.length; c++) {
                int[] p = Arrays.copyOfRange(t, c * length, Math.min(t.length, (c + 1) * length));
                out.add(RowFactory.create(r.getString(0), r.getBoolean(1), r.getString(2), c, p.length, p));
            }
            return out.iterator();
        });
        return spark.createDataFrame(rows, WINDOWS);
    }

    /**
     * The selected documents end to end in their seeded rank order (which interleaves the domains), cut every
     * {@code length} tokens whatever the document boundaries: the training windows of a packed layout, in stream order.
     */
    static JavaRDD<SftFormat.Example> pack(Dataset<Row> selected, int length, int partitions) {
        Dataset<Row> placed = selected.withColumn("offset", sum(col("len")).over(Window.orderBy("rank", "id", "chunk", "copy"))
                .minus(col("len")));
        JavaPairRDD<Long, Tuple2<Long, int[]>> parts = placed.select("offset", "tokens").javaRDD().flatMapToPair(r -> {
            long offset = r.getLong(0);
            int[] t = ints(r.getList(1));
            List<Tuple2<Long, Tuple2<Long, int[]>>> out = new ArrayList<>();
            for (int i = 0; i < t.length; ) {
                long w = (offset + i) / length;
                int end = (int) Math.min(t.length, (w + 1) * length - offset);
                out.add(new Tuple2<>(w, new Tuple2<>(offset + i, Arrays.copyOfRange(t, i, end))));
                i = end;
            }
            return out.iterator();
        });
        return parts.groupByKey().sortByKey(true, partitions).map(e -> {
            List<Tuple2<Long, int[]>> ps = new ArrayList<>();
            e._2().forEach(ps::add);
            ps.sort(Comparator.comparingLong(Tuple2::_1));
            int[] w = new int[ps.stream().mapToInt(p -> p._2().length).sum()];
            int at = 0;
            for (Tuple2<Long, int[]> p : ps) {
                System.arraycopy(p._2(), 0, w, at, p._2().length);
                at += p._2().length;
            }
            return SftFormat.window(w);
        });
    }

    private static int[] ints(List<Integer> l) {
        int[] t = new int[l.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = l.get(i);
        }
        return t;
    }

    record Selection(Dataset<Row> windows, Map<String, Long> realised, Map<String, Long> copies) {
    }

    /** Takes windows per domain in seeded-hash order until each domain's token share of {@code tokens} is met. */
    static Selection select(Dataset<Row> windows, Domains domains, MixtureWeights mix, long tokens, long seed) {
        Map<String, Long> avail = new LinkedHashMap<>();
        for (Row r : windows.groupBy("domain").agg(sum("len")).collectAsList()) {
            avail.put(r.getString(0), r.getLong(1));
        }
        long[] target = Allocation.largestRemainder(mix.toArray(), tokens);
        Map<String, Long> copies = new LinkedHashMap<>();
        for (int i = 0; i < domains.size(); i++) {
            String d = domains.name(i);
            if (target[i] == 0) {
                continue;
            }
            long a = avail.getOrDefault(d, 0L);
            if (a == 0) {
                throw new IllegalArgumentException("the mixture gives domain '" + d + "' a share of " + mix.get(i)
                        + " but the input has no training text for it");
            }
            copies.put(d, (target[i] + a - 1) / a);
            if (copies.get(d) > 1) {
                LOG.warn("domain {} has {} training tokens for a target of {}: its text is used {} times", d, a, target[i], copies.get(d));
            }
        }
        // one row per (window, copy), ranked by a seeded hash; keep until the domain's running sum reaches its target
        Column copiesCol = lit(0);
        for (Map.Entry<String, Long> e : copies.entrySet()) {
            copiesCol = when(col("domain").equalTo(e.getKey()), e.getValue()).otherwise(copiesCol);
        }
        Column targetCol = lit(0L);
        for (int i = 0; i < domains.size(); i++) {
            targetCol = when(col("domain").equalTo(domains.name(i)), target[i]).otherwise(targetCol);
        }
        Dataset<Row> expanded = windows
                .withColumn("copy", explode(sequence(
                        lit(0), copiesCol.minus(1))))
                .withColumn("rank", xxhash64(col("id"), col("chunk"), col("copy"),
                        lit(seed)))
                .withColumn("target", targetCol);
        Dataset<Row> chosen = expanded
                .withColumn("cum", sum(col("len")).over(Window.partitionBy("domain").orderBy("rank", "id", "chunk", "copy")))
                .filter(col("cum").minus(col("len")).lt(col("target")))
                .drop("cum", "target")
                .persist(StorageLevel.MEMORY_AND_DISK());
        Map<String, Long> realised = new LinkedHashMap<>();
        for (String d : domains.names()) {
            realised.put(d, 0L);
        }
        for (Row r : chosen.groupBy("domain").agg(sum("len")).collectAsList()) {
            realised.put(r.getString(0), r.getLong(1));
        }
        return new Selection(chosen, realised, copies);
    }

    static JavaRDD<SftFormat.Example> toExamples(Dataset<Row> windows) {
        return windows.select("tokens").javaRDD().map(r -> SftFormat.window(ints(r.getList(0))));
    }

    /** Held-out windows, at most {@code maxTokens} per domain (seeded order). */
    static JavaRDD<DomainEvaluator.Item> heldOut(Dataset<Row> windows, long maxTokens, long seed) {
        Dataset<Row> ranked = windows.withColumn("rank", xxhash64(col("id"), col("chunk"),
                        lit(seed)))
                .withColumn("cum", sum(col("len")).over(Window.partitionBy("domain").orderBy("rank", "id", "chunk")))
                .filter(col("cum").minus(col("len")).lt(maxTokens));
        return ranked.select("domain", "tokens", "id", "chunk").javaRDD().map(r ->
                new DomainEvaluator.Item(r.getString(2) + "#" + r.get(3), r.getString(0), SftFormat.window(ints(r.getList(1)))));
    }

    static Map<String, Object> losses(Map<String, DomainEvaluator.Sums> sums) {
        Map<String, Object> m = new LinkedHashMap<>();
        sums.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> m.put(e.getKey(), e.getValue().meanNll()));
        return m;
    }

    private static Map<String, Double> shares(Map<String, Long> counts, Domains domains) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Double> m = new LinkedHashMap<>();
        for (String d : domains.names()) {
            m.put(d, total == 0 ? 0 : (double) counts.getOrDefault(d, 0L) / total);
        }
        return m;
    }

    private static boolean lowered(Map<String, Object> before, Map<String, Object> after) {
        for (Map.Entry<String, Object> e : after.entrySet()) {
            Object b = before.get(e.getKey());
            if (!(b instanceof Number nb) || ((Number) e.getValue()).doubleValue() >= nb.doubleValue()) {
                return false;
            }
        }
        return !after.isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : new LinkedHashMap<>();
    }
}
