package org.versatune.pipeline.classify;

import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;

/**
 * The parameters the classifier's estimator and its model share, declared once (name, meaning, validation,
 * default), as Spark ML's shared-params traits do; each owner holds its own instances, and fitting copies the
 * estimator's values to the model.
 */
final class ClassifierParams {
    static final String DEFAULT_TEXT_COL = "text";
    static final double DEFAULT_CONFIDENCE_THRESHOLD = 0.5;

    private ClassifierParams() {
    }

    static Param<String> textCol(Params owner) {
        return new Param<>(owner, "textCol", "input text column");
    }

    static DoubleParam confidenceThreshold(Params owner) {
        return new DoubleParam(owner, "confidenceThreshold",
                "records whose top probability is below this are labelled 'unlabeled'", ParamValidators.inRange(0, 1));
    }
}
