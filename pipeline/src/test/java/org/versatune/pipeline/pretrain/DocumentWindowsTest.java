package org.versatune.pipeline.pretrain;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.testing.SparkExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(SparkExtension.class)
class DocumentWindowsTest {
    @Test
    void aDocumentIsCutFromItsStartWithTheEndTokenLast() {
        int[] doc = DocumentWindows.withEnd(new int[]{5, 6, 7, 8, 9}, 1);
        assertThat(doc).containsExactly(5, 6, 7, 8, 9, 1);
        assertThat(DocumentWindows.count(doc.length, 2)).isEqualTo(3);
        assertThat(DocumentWindows.window(doc, 0, 2, 0)).containsExactly(0, 5, 6);
        assertThat(DocumentWindows.window(doc, 2, 2, 0)).containsExactly(0, 9, 1);
        assertThat(DocumentWindows.count(6, 4)).isEqualTo(2);
        assertThat(DocumentWindows.window(doc, 1, 4, 0)).containsExactly(0, 9, 1);
    }

    /** Pretraining's windows are exactly the ones the probe's count and openings assume. */
    @Test
    void pretrainingWindowsAreTheSharedCut(SparkSession spark) {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held that the statute applies to the lease"), 300);
        String text = "the court held that the statute applies to the lease of the land and the court said so";
        StructType docs = new StructType(new StructField[]{DataTypes.createStructField("id", DataTypes.StringType, false),
                DataTypes.createStructField("domain", DataTypes.StringType, false),
                DataTypes.createStructField("text", DataTypes.StringType, false),
                DataTypes.createStructField("heldout", DataTypes.BooleanType, false)});
        int context = 7;
        List<Row> windows = PretrainStage.windows(spark, spark.createDataFrame(List.of(RowFactory.create("d1", "law", text, false)), docs),
                JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tok), context, 1).orderBy("chunk").collectAsList();
        int[] doc = DocumentWindows.withEnd(tok.encode(text), tok.specials().eos());
        assertThat(windows).hasSize(DocumentWindows.count(doc.length, context)).hasSizeGreaterThan(2);
        for (Row w : windows) {
            int chunk = w.getInt(w.fieldIndex("chunk"));
            List<Integer> got = w.getList(w.fieldIndex("tokens"));
            assertThat(got.stream().mapToInt(Integer::intValue).toArray())
                    .containsExactly(DocumentWindows.window(doc, chunk, context, tok.specials().bos()));
        }
    }
}
