package org.versatune.pipeline.classify;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.versatune.pipeline.domain.Domains;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

/**
 * The fitted domain classifier. Adds {@code prediction} (a domain name, or {@code unlabeled} when the top
 * probability is under the confidence threshold), {@code confidence} and {@code probabilities} (per domain,
 * keyed by name). The weights are broadcast once per executor; one document can also be classified on the
 * driver with {@link #classify(String)}.
 */
public class DomainClassifierModel extends Model<DomainClassifierModel> implements MLWritable {
    public static final String PREDICTION = "prediction";
    public static final String CONFIDENCE = "confidence";
    public static final String PROBABILITIES = "probabilities";

    private final String uid;
    private final ClassifierWeights weights;
    private final Param<String> textCol;
    private final Param<String> predictionCol;
    private final Param<String> confidenceCol;
    private final Param<String> probabilitiesCol;
    private final DoubleParam confidenceThreshold;

    public DomainClassifierModel(String uid, ClassifierWeights weights) {
        this.uid = uid;
        this.weights = weights;
        textCol = ClassifierParams.textCol(this);
        predictionCol = new Param<>(this, "predictionCol", "output: predicted domain or 'unlabeled'");
        confidenceCol = new Param<>(this, "confidenceCol", "output: top class probability");
        probabilitiesCol = new Param<>(this, "probabilitiesCol", "output: probability per domain");
        confidenceThreshold = ClassifierParams.confidenceThreshold(this);
        setDefault(textCol, ClassifierParams.DEFAULT_TEXT_COL);
        setDefault(predictionCol, PREDICTION);
        setDefault(confidenceCol, CONFIDENCE);
        setDefault(probabilitiesCol, PROBABILITIES);
        setDefault(confidenceThreshold, ClassifierParams.DEFAULT_CONFIDENCE_THRESHOLD);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> textCol() { return textCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> confidenceCol() { return confidenceCol; }
    public Param<String> probabilitiesCol() { return probabilitiesCol; }
    public DoubleParam confidenceThreshold() { return confidenceThreshold; }

    public DomainClassifierModel setTextCol(String v) { set(textCol, v); return this; }
    public DomainClassifierModel setPredictionCol(String v) { set(predictionCol, v); return this; }
    public DomainClassifierModel setConfidenceCol(String v) { set(confidenceCol, v); return this; }
    public DomainClassifierModel setProbabilitiesCol(String v) { set(probabilitiesCol, v); return this; }
    public DomainClassifierModel setConfidenceThreshold(double v) { set(confidenceThreshold, v); return this; }

    public List<String> domains() {
        return weights.domains();
    }

    ClassifierWeights weights() {
        return weights;
    }

    /** Throws when this model was trained for other domains than {@code expected} (e.g. the run's config). */
    public DomainClassifierModel requireDomains(Domains expected) {
        if (!weights.domains().equals(expected.names())) {
            throw new IllegalArgumentException("the classifier was trained for domains " + weights.domains()
                    + " but the configuration lists " + expected.names()
                    + "; retrain it or set versatune.domains to match");
        }
        return this;
    }

    public double getConfidenceThreshold() {
        return ((Double) $(confidenceThreshold));
    }

    /** One prediction. */
    public record Prediction(String domain, double confidence, Map<String, Double> probabilities) {
    }

    /** Classifies one document on the driver (notebooks, tests). */
    public Prediction classify(String text) {
        return predict(weights, text, ((Double) $(confidenceThreshold)));
    }

    static Prediction predict(ClassifierWeights w, String text, double threshold) {
        double[] p = w.probabilities(text, ClassifierColumns.counts(), new double[w.domains().size()]);
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        Map<String, Double> probs = new LinkedHashMap<>();
        for (int i = 0; i < p.length; i++) {
            probs.put(w.domains().get(i), p[i]);
        }
        return new Prediction(p[best] >= threshold ? w.domains().get(best) : Domains.UNLABELED, p[best], probs);
    }

    static StructType appendOutputs(StructType schema, String prediction, String confidence, String probabilities) {
        for (String c : new String[]{prediction, confidence, probabilities}) {
            if (Arrays.asList(schema.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("output column '" + c + "' already exists in " + Arrays.toString(schema.fieldNames()));
            }
        }
        return schema.add(prediction, DataTypes.StringType, true)
                .add(confidence, DataTypes.DoubleType, true)
                .add(probabilities, DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType), true);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ClassifierColumns.requireString(schema, $(textCol), "text");
        return appendOutputs(schema, $(predictionCol), $(confidenceCol), $(probabilitiesCol));
    }

    private static final StructType RESULT = new StructType(new StructField[]{
            DataTypes.createStructField("p", DataTypes.StringType, true),
            DataTypes.createStructField("c", DataTypes.DoubleType, true),
            DataTypes.createStructField("m", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType), true)});

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        Broadcast<ClassifierWeights> bw = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext())
                .broadcast(weights);
        double threshold = ((Double) $(confidenceThreshold));
        UDF1<String, Row> f = text -> {
            if (text == null) {
                return null;
            }
            Prediction p = predict(bw.value(), text, threshold);
            return RowFactory.create(p.domain(), p.confidence(), scala.collection.JavaConverters
                    .mapAsScalaMapConverter(p.probabilities()).asScala());
        };
        Column result = udf(f, RESULT).apply(col($(textCol)));
        String tmp = "_vt_classified_" + uid;
        return dataset.withColumn(tmp, result)
                .withColumn($(predictionCol), col(tmp + ".p"))
                .withColumn($(confidenceCol), col(tmp + ".c"))
                .withColumn($(probabilitiesCol), col(tmp + ".m"))
                .drop(tmp);
    }

    @Override
    public DomainClassifierModel copy(ParamMap extra) {
        DomainClassifierModel copy = new DomainClassifierModel(uid, weights);
        return copyValues(copy, extra).setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new ClassifierPersistence.ModelWriter(this);
    }

    public static MLReader<DomainClassifierModel> read() {
        return new ClassifierPersistence.ModelReader();
    }

    public static DomainClassifierModel load(String path) {
        return read().load(path);
    }
}
