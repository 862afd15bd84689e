package org.versatune.pipeline.schema;

import org.apache.avro.Schema;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.avro.SchemaConverters;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * A table's declared schema, loaded from {@code data-schemas/<name>.avsc} (never inferred). Reads check the
 * files' columns against it and name what is missing or mistyped; writes cast to it.
 */
public final class TableSchema implements Serializable {
    private static final Map<String, TableSchema> CACHE = new ConcurrentHashMap<>();

    private final String name;
    private final StructType struct;

    private TableSchema(String name, StructType struct) {
        this.name = name;
        this.struct = struct;
    }

    public static TableSchema of(String name) {
        return CACHE.computeIfAbsent(name, TableSchema::load);
    }

    private static TableSchema load(String name) {
        String resource = "data-schemas/" + name + ".avsc";
        try (InputStream in = TableSchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema not found on the classpath: " + resource);
            }
            Schema avro = new Schema.Parser().parse(in);
            DataType type = SchemaConverters.toSqlType(avro).dataType();
            return new TableSchema(name, (StructType) type);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema " + resource, e);
        }
    }

    public String name() {
        return name;
    }

    public StructType struct() {
        return struct;
    }

    public List<String> columns() {
        return List.of(struct.fieldNames());
    }

    /**
     * Reads Parquet at {@code path} with this schema after checking the files' own schema: every declared
     * column must be present with a compatible type; nullable declared columns may be absent.
     */
    public Dataset<Row> read(SparkSession spark, String... paths) {
        StructType found = spark.read().parquet(paths).schema();
        check(found, String.join(", ", paths));
        // Spark moves partition columns (domain=...) last; restore the declared order
        return spark.read().schema(struct).parquet(paths).select(columns().stream().map(c -> col(c)).toArray(Column[]::new));
    }

    /** Throws naming the expected and found columns when {@code found} does not satisfy this schema. */
    public void check(StructType found, String where) {
        List<String> problems = new ArrayList<>();
        for (StructField f : struct.fields()) {
            int i = fieldIndex(found, f.name());
            if (i < 0) {
                if (!f.nullable()) {
                    problems.add("missing column '" + f.name() + "' (" + f.dataType().simpleString() + ")");
                }
            } else if (!compatible(f.dataType(), found.fields()[i].dataType())) {
                problems.add("column '" + f.name() + "' is " + found.fields()[i].dataType().simpleString()
                        + ", expected " + f.dataType().simpleString());
            }
        }
        if (!problems.isEmpty()) {
            throw new SchemaMismatchException("'" + where + "' does not match table schema '" + name + "': "
                    + String.join("; ", problems) + ". Expected columns: " + describe(struct)
                    + ". Found: " + describe(found));
        }
    }

    /** Selects the declared columns in declared order, cast to the declared types (absent nullable ones as null). */
    public Dataset<Row> conform(Dataset<Row> df) {
        check(df.schema(), "data for " + name);
        List<Column> cols = new ArrayList<>();
        for (StructField f : struct.fields()) {
            int i = fieldIndex(df.schema(), f.name());
            if (i >= 0 && df.schema().fields()[i].dataType().sameType(f.dataType())) {
                cols.add(col(f.name()));   // same type up to nullability, which a cast cannot narrow
            } else {
                cols.add((i >= 0 ? col(f.name()) : lit(null)).cast(f.dataType()).as(f.name()));
            }
        }
        return df.select(cols.toArray(new Column[0]));
    }

    private static int fieldIndex(StructType s, String name) {
        String[] names = s.fieldNames();
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean compatible(DataType expected, DataType found) {
        if (expected.sameType(found)) {
            return true;
        }
        // widening of integers and floats is safe
        String e = expected.typeName();
        String f = found.typeName();
        return (e.equals("long") && (f.equals("integer") || f.equals("short")))
                || (e.equals("double") && (f.equals("float") || f.equals("integer") || f.equals("long")));
    }

    private static String describe(StructType s) {
        List<String> parts = new ArrayList<>();
        for (StructField f : s.fields()) {
            parts.add(f.name() + ":" + f.dataType().simpleString());
        }
        return "[" + String.join(", ", parts) + "]";
    }

    public static final class SchemaMismatchException extends IllegalArgumentException {
        public SchemaMismatchException(String message) {
            super(message);
        }
    }
}
