import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.row_number;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * The first samples per label of a probe, as a Markdown table for the notes (label, classifier confidence, text with
 * "/" for line breaks, cut at 260 characters), so a reader can judge what a labelled share looks like.
 * Usage (bench/samples-table.sh): SamplesTable PROBE_DIR [PER_LABEL]
 */
public class SamplesTable {
    public static void main(String[] args) {
        String dir = args[0];
        int perLabel = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        SparkSession spark = SparkSession.builder().master("local[1]").appName("samples-table")
                .config("spark.ui.enabled", "false").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        // ids are s<chunk>-<row>: the order the probe wrote them in, independent of the partitioning by label
        var rows = spark.read().parquet(dir + "/samples")
                .withColumn("row", regexp_extract(col("id"), "-(\\d+)$", 1).cast("int"))
                .withColumn("rank", row_number().over(Window.partitionBy("domain").orderBy("chunk", "row")))
                .where(col("rank").leq(perLabel))
                .orderBy("domain", "rank").collectAsList();
        System.out.println("| label | confidence | text |");
        System.out.println("|---|---|---|");
        for (Row r : rows) {
            String text = r.<String>getAs("text").replace("|", "\\|").replaceAll("\\s*\\n\\s*", " / ");
            if (text.length() > 260) text = text.substring(0, 260) + " ...";
            System.out.printf("| %s | %.2f | %s |%n", r.<String>getAs("domain"), r.<Double>getAs("confidence"), text);
        }
        spark.stop();
    }
}
