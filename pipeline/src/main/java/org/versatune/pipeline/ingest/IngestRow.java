package org.versatune.pipeline.ingest;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One outcome of reading a record: accepted (record columns set) or rejected (reason set). Both kinds travel
 * in one Dataset so that the input is read once and {@code read = accepted + rejected} holds by construction.
 */
final class IngestRow {
    static final StructType SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField("accepted", DataTypes.BooleanType, false),
            DataTypes.createStructField("id", DataTypes.StringType, true),
            DataTypes.createStructField("domain", DataTypes.StringType, true),
            DataTypes.createStructField("kind", DataTypes.StringType, true),
            DataTypes.createStructField("instruction", DataTypes.StringType, true),
            DataTypes.createStructField("input", DataTypes.StringType, true),
            DataTypes.createStructField("output", DataTypes.StringType, true),
            DataTypes.createStructField("text", DataTypes.StringType, true),
            DataTypes.createStructField("source", DataTypes.StringType, true),
            DataTypes.createStructField("origin_file", DataTypes.StringType, false),
            DataTypes.createStructField("origin_line", DataTypes.LongType, true),
            DataTypes.createStructField("reason", DataTypes.StringType, true),
            DataTypes.createStructField("field", DataTypes.StringType, true),
            DataTypes.createStructField("message", DataTypes.StringType, true),
            DataTypes.createStructField("raw", DataTypes.BinaryType, true),
    });

    private IngestRow() {
    }

    /** An accepted SFT pair; its raw bytes travel along so that a later duplicate-id rejection keeps them verbatim. */
    static Row sft(String id, String domain, String instruction, String input, String output, String source,
                   String file, Long line, byte[] raw) {
        return RowFactory.create(true, id, domain, "sft", instruction, input, output, null, source, file, line,
                null, null, null, raw);
    }

    static Row text(String id, String domain, String text, String source, String file, Long line, byte[] raw) {
        return RowFactory.create(true, id, domain, "text", null, null, null, text, source, file, line,
                null, null, null, raw);
    }

    static Row rejected(RejectReason reason, String field, String message, String id, String file, Long line, byte[] raw) {
        return RowFactory.create(false, id, null, null, null, null, null, null, null, file, line,
                reason.key(), field, message, raw);
    }
}
