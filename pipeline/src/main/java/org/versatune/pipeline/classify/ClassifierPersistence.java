package org.versatune.pipeline.classify;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Save/load for the classifier's estimator and model, in Spark ML's layout so that a saved
 * {@code PipelineModel} containing them loads: {@code metadata/} (one JSON line: class, uid, timestamp,
 * sparkVersion, paramMap, and for the model its domains and featurizer) and, for the model, {@code data/}
 * Parquet with one row per feature that carries weight (feature, idf, weights per domain).
 */
final class ClassifierPersistence {
    private static final String METADATA = "metadata";
    private static final String DATA = "data";
    private static final StructType DATA_SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField("feature", DataTypes.IntegerType, false),
            DataTypes.createStructField("idf", DataTypes.FloatType, false),
            DataTypes.createStructField("weights", DataTypes.createArrayType(DataTypes.FloatType, false), false)});

    private ClassifierPersistence() {
    }

    static Map<String, Object> metadata(Params instance) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class", instance.getClass().getName());
        m.put("timestamp", 0L);   // fixed, so that saving the same model twice gives the same bytes
        m.put("sparkVersion", org.apache.spark.package$.MODULE$.SPARK_VERSION());
        m.put("uid", instance.uid());
        Map<String, Object> params = new LinkedHashMap<>();
        List<ParamPair<?>> pairs = new ArrayList<>(scala.collection.JavaConverters.seqAsJavaList(instance.extractParamMap().toSeq()));
        pairs.sort((a, b) -> a.param().name().compareTo(b.param().name()));
        for (ParamPair<?> p : pairs) {
            try {
                params.put(p.param().name(), Json.MAPPER.readTree(encode(p)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        m.put("paramMap", params);
        m.put("defaultParamMap", Map.of());
        return m;
    }

    static void writeMetadata(SparkContext sc, String path, Map<String, Object> metadata) {
        try {
            String line = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(metadata);
            JavaSparkContext.fromSparkContext(sc).parallelize(List.of(line), 1)
                    .saveAsTextFile(new Path(path, METADATA).toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> String encode(ParamPair<T> p) {
        return ((Param<T>) p.param()).jsonEncode(p.value());
    }

    @SuppressWarnings("unchecked")
    static void applyParams(Params instance, Map<String, Object> metadata, String path) {
        Map<String, Object> params = (Map<String, Object>) metadata.get("paramMap");
        for (Map.Entry<String, Object> e : params.entrySet()) {
            if (!instance.hasParam(e.getKey())) {
                throw new IllegalArgumentException(path + ": unknown parameter '" + e.getKey() + "' for " + instance.getClass().getSimpleName());
            }
            Param<Object> p = (Param<Object>) instance.getParam(e.getKey());
            try {
                instance.set(p, p.jsonDecode(Json.MAPPER.writeValueAsString(e.getValue())));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    static Map<String, Object> readMetadata(SparkContext sc, String path, Class<?> expected) {
        Path dir = new Path(path, METADATA);
        Map<String, Object> m;
        try {
            if (!dir.getFileSystem(sc.hadoopConfiguration()).exists(dir)) {
                throw new IllegalArgumentException("no " + METADATA + "/ folder");
            }
            String line = sc.textFile(dir.toString(), 1).first();
            m = Json.MAPPER.readValue(line, new TypeReference<Map<String, Object>>() { });
        } catch (IllegalArgumentException | IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("'" + path + "' is not a saved " + expected.getSimpleName()
                    + " (no readable metadata): " + e.getMessage(), e);
        }
        if (!expected.getName().equals(m.get("class"))) {
            throw new IllegalArgumentException("'" + path + "' holds a " + m.get("class") + ", not a " + expected.getName());
        }
        return m;
    }

    static final class ParamsWriter extends MLWriter {
        private final Params instance;

        ParamsWriter(Params instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            writeMetadata(sparkSession().sparkContext(), path, metadata(instance));
        }
    }

    static final class ParamsReader<T extends Params> extends MLReader<T> {
        private final Class<T> type;

        ParamsReader(Class<T> type) {
            this.type = type;
        }

        @Override
        public T load(String path) {
            Map<String, Object> m = readMetadata(sparkSession().sparkContext(), path, type);
            try {
                T instance = type.getConstructor(String.class).newInstance((String) m.get("uid"));
                applyParams(instance, m, path);
                return instance;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot instantiate " + type.getName(), e);
            }
        }
    }

    static final class ModelWriter extends MLWriter {
        private final DomainClassifierModel model;

        ModelWriter(DomainClassifierModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            ClassifierWeights w = model.weights();
            Map<String, Object> m = metadata(model);
            m.put("domains", w.domains());
            m.put("numFeatures", w.features().numFeatures());
            m.put("charNgramMin", w.features().charMin());
            m.put("charNgramMax", w.features().charMax());
            List<Double> intercepts = new ArrayList<>();
            for (float f : w.intercepts()) {
                intercepts.add((double) f);
            }
            m.put("intercepts", intercepts);
            // features never seen in training keep the largest IDF and zero weights: store that IDF once
            float defaultIdf = 0;
            for (float v : w.idf()) {
                defaultIdf = Math.max(defaultIdf, v);
            }
            m.put("defaultIdf", (double) defaultIdf);
            writeMetadata(sparkSession().sparkContext(), path, m);

            int k = w.domains().size();
            List<Row> rows = new ArrayList<>();
            float[] weights = w.weights();
            for (int f = 0; f < w.features().numFeatures(); f++) {
                boolean active = w.idf()[f] != defaultIdf;
                for (int c = 0; c < k && !active; c++) {
                    active = weights[f * k + c] != 0f;
                }
                if (active) {
                    Float[] ws = new Float[k];
                    for (int c = 0; c < k; c++) {
                        ws[c] = weights[f * k + c];
                    }
                    rows.add(RowFactory.create(f, w.idf()[f], Arrays.asList(ws)));
                }
            }
            Dataset<Row> df = sparkSession().createDataFrame(rows, DATA_SCHEMA);
            df.repartition(1).write().parquet(new Path(path, DATA).toString());
        }
    }

    static final class ModelReader extends MLReader<DomainClassifierModel> {
        @Override
        @SuppressWarnings("unchecked")
        public DomainClassifierModel load(String path) {
            Map<String, Object> m = readMetadata(sparkSession().sparkContext(), path, DomainClassifierModel.class);
            List<String> domains = (List<String>) m.get("domains");
            TextFeatures tf = new TextFeatures(((Number) m.get("numFeatures")).intValue(),
                    ((Number) m.get("charNgramMin")).intValue(), ((Number) m.get("charNgramMax")).intValue());
            int k = domains.size();
            float[] idf = new float[tf.numFeatures()];
            Arrays.fill(idf, ((Number) m.get("defaultIdf")).floatValue());
            float[] weights = new float[tf.numFeatures() * k];
            for (Row r : sparkSession().read().schema(DATA_SCHEMA).parquet(new Path(path, DATA).toString()).collectAsList()) {
                int f = r.getInt(0);
                idf[f] = r.getFloat(1);
                List<Float> ws = r.getList(2);
                for (int c = 0; c < k; c++) {
                    weights[f * k + c] = ws.get(c);
                }
            }
            List<Number> ic = (List<Number>) m.get("intercepts");
            float[] intercepts = new float[k];
            for (int c = 0; c < k; c++) {
                intercepts[c] = ic.get(c).floatValue();
            }
            DomainClassifierModel model = new DomainClassifierModel((String) m.get("uid"),
                    new ClassifierWeights(domains, tf, idf, weights, intercepts));
            applyParams(model, m, path);
            return model;
        }
    }
}
