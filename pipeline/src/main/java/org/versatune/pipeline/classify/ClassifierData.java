package org.versatune.pipeline.classify;

import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Turns canonical records into classifier examples {@code (id, kind, domain, text, validation)}: an SFT pair
 * is one example (instruction, input and output joined); a raw document becomes chunks. The validation flag
 * is a seeded hash of the record id, so chunks of one document stay on one side of the split.
 */
public final class ClassifierData {
    public static final StructType SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("kind", DataTypes.StringType, false),
            DataTypes.createStructField("domain", DataTypes.StringType, true),
            DataTypes.createStructField("text", DataTypes.StringType, false),
            DataTypes.createStructField("validation", DataTypes.BooleanType, false)});

    private ClassifierData() {
    }

    public static Dataset<Row> examples(Dataset<Row> records, Settings settings) {
        var c = settings.section("classifier");
        long seed = Seeds.derive(settings.seed(), "classifier-split");
        double validation = c.getDouble("validation-fraction");
        int min = c.getInt("chunk-min-chars");
        int max = c.getInt("chunk-max-chars");
        int maxChunks = c.getInt("max-chunks-per-document");
        Dataset<Row> in = records.select(col("id"), col("kind"), col("domain"), ClassifierColumns.fullText().as("text"));
        FlatMapFunction<Row, Row> expand = r -> {
            String id = r.getString(0);
            String kind = r.getString(1);
            boolean val = Seeds.uniform(seed, id) < validation;
            List<Row> out = new ArrayList<>();
            if ("text".equals(kind)) {
                int i = 0;
                for (String chunk : TextChunks.chunks(r.getString(3), seed, id, min, max, maxChunks)) {
                    out.add(RowFactory.create(id + "#" + i++, kind, r.get(2), chunk, val));
                }
            } else {
                out.add(RowFactory.create(id, kind, r.get(2), r.getString(3), val));
            }
            return out.iterator();
        };
        return in.flatMap(expand, Encoders.row(SCHEMA));
    }
}
