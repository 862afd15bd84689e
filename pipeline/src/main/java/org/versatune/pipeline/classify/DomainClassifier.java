package org.versatune.pipeline.classify;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.spark.JobProgress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * Spark ML Estimator for the domain classifier: hashed word, bigram and character n-gram features with
 * TF-IDF, then multinomial logistic regression (Spark ML), class-balanced by default. Fits a
 * {@link DomainClassifierModel}. Input: a text column and a label column holding domain names.
 */
public class DomainClassifier extends Estimator<DomainClassifierModel> implements MLWritable {
    private final String uid;
    private final Param<String> textCol;
    private final Param<String> labelCol;
    private final StringArrayParam domains;
    private final IntParam numFeatures;
    private final IntParam charNgramMin;
    private final IntParam charNgramMax;
    private static final Logger LOG = LoggerFactory.getLogger(DomainClassifier.class);
    private final IntParam maxIter;
    private final DoubleParam regParam;
    private final BooleanParam balanceClasses;
    private final DoubleParam confidenceThreshold;

    public DomainClassifier() {
        this(Identifiable$.MODULE$.randomUID("domainClassifier"));
    }

    public DomainClassifier(String uid) {
        this.uid = uid;
        textCol = ClassifierParams.textCol(this);
        labelCol = new Param<>(this, "labelCol", "label column: domain names");
        domains = new StringArrayParam(this, "domains", "ordered domain names (the classes)");
        numFeatures = new IntParam(this, "numFeatures", "size of the hashed feature space (power of two)",
                ParamValidators.gtEq(2));
        charNgramMin = new IntParam(this, "charNgramMin", "shortest character n-gram (0: none)", ParamValidators.gtEq(0));
        charNgramMax = new IntParam(this, "charNgramMax", "longest character n-gram", ParamValidators.gtEq(0));
        maxIter = new IntParam(this, "maxIter", "iterations of L-BFGS", ParamValidators.gtEq(1));
        regParam = new DoubleParam(this, "regParam", "L2 regularisation", ParamValidators.gtEq(0));
        balanceClasses = new BooleanParam(this, "balanceClasses", "weight classes inversely to their frequency");
        confidenceThreshold = ClassifierParams.confidenceThreshold(this);
        setDefault(textCol, ClassifierParams.DEFAULT_TEXT_COL);
        setDefault(labelCol, "domain");
        setDefault(domains, new String[]{"law", "medicine", "finance", "science", "code", "general"});
        setDefault(numFeatures, 1 << 18);
        setDefault(charNgramMin, 3);
        setDefault(charNgramMax, 4);
        setDefault(maxIter, 60);
        setDefault(regParam, 1e-5);
        setDefault(balanceClasses, true);
        setDefault(confidenceThreshold, ClassifierParams.DEFAULT_CONFIDENCE_THRESHOLD);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> textCol() { return textCol; }
    public Param<String> labelCol() { return labelCol; }
    public StringArrayParam domains() { return domains; }
    public IntParam numFeatures() { return numFeatures; }
    public IntParam charNgramMin() { return charNgramMin; }
    public IntParam charNgramMax() { return charNgramMax; }
    public IntParam maxIter() { return maxIter; }
    public DoubleParam regParam() { return regParam; }
    public BooleanParam balanceClasses() { return balanceClasses; }
    public DoubleParam confidenceThreshold() { return confidenceThreshold; }

    public DomainClassifier setTextCol(String v) { set(textCol, v); return this; }
    public DomainClassifier setLabelCol(String v) { set(labelCol, v); return this; }
    public DomainClassifier setDomains(List<String> v) { Domains.of(v); set(domains, v.toArray(new String[0])); return this; }
    public DomainClassifier setNumFeatures(int v) { set(numFeatures, v); return this; }
    public DomainClassifier setCharNgrams(int min, int max) { set(charNgramMin, min); set(charNgramMax, max); return this; }
    public DomainClassifier setMaxIter(int v) { set(maxIter, v); return this; }
    public DomainClassifier setRegParam(double v) { set(regParam, v); return this; }
    public DomainClassifier setBalanceClasses(boolean v) { set(balanceClasses, v); return this; }
    public DomainClassifier setConfidenceThreshold(double v) { set(confidenceThreshold, v); return this; }

    /** Applies the {@code versatune.classifier} settings and domain list. */
    public DomainClassifier configure(Settings settings) {
        var c = settings.section("classifier");
        return setDomains(settings.domains().names())
                .setNumFeatures(c.getInt("num-features"))
                .setCharNgrams(c.getInt("char-ngram-min"), c.getInt("char-ngram-max"))
                .setMaxIter(c.getInt("max-iter"))
                .setRegParam(c.getDouble("reg-param"))
                .setBalanceClasses(c.getBoolean("balance-classes"))
                .setConfidenceThreshold(c.getDouble("confidence-threshold"));
    }

    List<String> domainList() {
        return Arrays.asList($(domains));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ClassifierColumns.requireString(schema, $(textCol), "text");
        ClassifierColumns.requireString(schema, $(labelCol), "label");
        return DomainClassifierModel.appendOutputs(schema, DomainClassifierModel.PREDICTION,
                DomainClassifierModel.CONFIDENCE, DomainClassifierModel.PROBABILITIES);
    }

    TextFeatures features() {
        return new TextFeatures(((Integer) $(numFeatures)), ((Integer) $(charNgramMin)), ((Integer) $(charNgramMax)));
    }

    @Override
    public DomainClassifierModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        SparkSession spark = dataset.sparkSession();
        List<String> doms = domainList();
        Domains ds = Domains.of(doms);
        TextFeatures tf = features();
        int k = doms.size();
        Dataset<Row> labelled = dataset.select(col($(textCol)), col($(labelCol))).na().drop();

        // per-class counts; every configured domain needs examples, and no others may appear
        Map<String, Long> counts = new HashMap<>();
        for (Row r : labelled.groupBy(col($(labelCol))).count().collectAsList()) {
            counts.put(r.getString(0), r.getLong(1));
        }
        List<String> unknown = new ArrayList<>();
        counts.keySet().forEach(d -> { if (!ds.contains(d)) unknown.add(d); });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("training labels " + unknown + " are not configured domains " + doms);
        }
        List<String> missing = new ArrayList<>();
        doms.forEach(d -> { if (!counts.containsKey(d)) missing.add(d); });
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("no training records for domain(s) " + missing
                    + "; every configured domain needs labelled examples");
        }
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        double[] classWeight = new double[k];
        for (int i = 0; i < k; i++) {
            classWeight[i] = ((Boolean) $(balanceClasses)) ? (double) total / (k * counts.get(doms.get(i))) : 1.0;
        }

        JavaRDD<Row> rows = labelled.javaRDD();
        // document frequencies -> smooth IDF
        long[] docFreq = rows.treeAggregate(new long[tf.numFeatures()], (acc, r) -> {
            TextFeatures.Counts c = ClassifierColumns.counts();
            int n = tf.featurize(r.getString(0), c);
            for (int i = 0; i < n; i++) {
                acc[c.key(i)]++;
            }
            return acc;
        }, (a, b) -> {
            for (int i = 0; i < a.length; i++) {
                a[i] += b[i];
            }
            return a;
        });
        float[] idf = new float[tf.numFeatures()];
        for (int f = 0; f < idf.length; f++) {
            idf[f] = (float) (Math.log((total + 1.0) / (docFreq[f] + 1.0)) + 1.0);
        }

        StructType trainSchema = new StructType(new StructField[]{
                DataTypes.createStructField("label", DataTypes.DoubleType, false),
                DataTypes.createStructField("weight", DataTypes.DoubleType, false),
                DataTypes.createStructField("features", SQLDataTypes.VectorType(), false)});
        JavaRDD<Row> vectors = rows.map(r -> {
            int label = ds.indexOf(r.getString(1));
            return RowFactory.create((double) label, classWeight[label],
                    ClassifierWeights.vector(tf, idf, r.getString(0), ClassifierColumns.counts()));
        });
        Dataset<Row> train = spark.createDataFrame(vectors, trainSchema)
                .withColumn("label", col("label").as("label",
                        NominalAttribute.defaultAttr().withName("label").withNumValues(k).toMetadata()))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            int iterations = (Integer) $(maxIter);
            LogisticRegressionModel lr;
            // L-BFGS reports nothing while it runs: one Spark job per loss evaluation, about one per iteration
            try (JobProgress p = JobProgress.start(spark.sparkContext(), LOG, "classifier: fit (L-BFGS, at most "
                    + iterations + " iterations)", iterations + 1, "evaluations")) {
                lr = new LogisticRegression()
                        .setFamily("multinomial").setStandardization(false).setFitIntercept(true)
                        .setElasticNetParam(0).setRegParam(((Double) $(regParam))).setMaxIter(iterations).setTol(1e-7)
                        .setLabelCol("label").setWeightCol("weight").setFeaturesCol("features")
                        .fit(train);
            }
            double[] loss = lr.summary().objectiveHistory();
            LOG.info(String.format("classifier: fit done after %d iterations, loss %.4f -> %.4f%s", loss.length - 1, loss[0],
                    loss[loss.length - 1], loss.length - 1 >= iterations ? " (stopped at the iteration cap, max-iter)" : " (converged)"));
            Matrix coef = lr.coefficientMatrix();
            float[] weights = new float[tf.numFeatures() * k];
            for (int c = 0; c < k; c++) {
                for (int f = 0; f < tf.numFeatures(); f++) {
                    weights[f * k + c] = (float) coef.apply(c, f);
                }
            }
            float[] intercepts = new float[k];
            for (int c = 0; c < k; c++) {
                intercepts[c] = (float) lr.interceptVector().apply(c);
            }
            ClassifierWeights w = new ClassifierWeights(doms, tf, idf, weights, intercepts);
            DomainClassifierModel model = new DomainClassifierModel(uid, w)
                    .setTextCol($(textCol)).setConfidenceThreshold(((Double) $(confidenceThreshold)));
            return model.setParent(this);
        } finally {
            train.unpersist();
        }
    }

    @Override
    public DomainClassifier copy(ParamMap extra) {
        return (DomainClassifier) defaultCopy(extra);
    }

    @Override
    public MLWriter write() {
        return new ClassifierPersistence.ParamsWriter(this);
    }

    public static MLReader<DomainClassifier> read() {
        return new ClassifierPersistence.ParamsReader<>(DomainClassifier.class);
    }

    public static DomainClassifier load(String path) {
        return read().load(path);
    }
}
