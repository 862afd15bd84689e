package org.versatune.pipeline.classify;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;

/** Column helpers shared by the classifier's estimator, model and jobs. */
public final class ClassifierColumns {
    private static final ThreadLocal<TextFeatures.Counts> COUNTS = ThreadLocal.withInitial(TextFeatures.Counts::new);

    private ClassifierColumns() {
    }

    /** A per-thread scratch table for featurizing (UDFs and tasks run on several threads). */
    static TextFeatures.Counts counts() {
        return COUNTS.get();
    }

    /**
     * The text the classifier reads from a canonical record: the document text, or for an SFT pair its
     * instruction, input and output joined by newlines.
     */
    public static Column fullText() {
        return coalesce(col("text"), concat_ws("\n", col("instruction"), col("input"), col("output")));
    }

    static void requireString(StructType schema, String column, String role) {
        if (!Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("the " + role + " column '" + column + "' is missing; found columns "
                    + Arrays.toString(schema.fieldNames()));
        }
        var type = schema.apply(column).dataType();
        if (!type.sameType(DataTypes.StringType)) {
            throw new IllegalArgumentException("the " + role + " column '" + column + "' must be a string, found "
                    + type.simpleString());
        }
    }
}
