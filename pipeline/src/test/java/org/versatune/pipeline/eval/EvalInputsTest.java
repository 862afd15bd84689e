package org.versatune.pipeline.eval;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(SparkExtension.class)
class EvalInputsTest {
    @Test
    @SuppressWarnings("unchecked")
    void unusableMultipleChoiceItemsAreNamedWithTheirReason(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("law_mc.jsonl"), String.join("\n",
                "{\"id\":\"ok\",\"question\":\"q?\",\"choices\":[\"a\",\"b\"],\"answer_index\":1}",
                "{\"id\":\"range\",\"question\":\"q?\",\"choices\":[\"a\",\"b\"],\"answer_index\":2}",
                "{\"id\":\"one\",\"question\":\"q?\",\"choices\":[\"a\"],\"answer_index\":0}",
                "{\"id\":\"noq\",\"choices\":[\"a\",\"b\"],\"answer_index\":0}",
                "{\"id\":\"broken\",\"question\":\"q?\",\"choices\":[\"a\",\"b\"],\"answer_index\":0",
                ""));
        EvalInputs.Data d = EvalInputs.read(spark, Settings.defaults(), List.of(f.toString()));
        assertThat(d.mc().count()).isEqualTo(1);
        assertThat(d.stats()).containsEntry("mc_items", 1L).containsEntry("mc_items_unusable", 4L);
        List<Map<String, Object>> named = (List<Map<String, Object>>) d.stats().get("mc_items_unusable_examples");
        assertThat(named).extracting(m -> m.get("reason")).containsExactlyInAnyOrder(
                "answer_index 2 is not one of the 2 choices", "fewer than 2 choices", "no question",
                "malformed JSON or a field of the wrong type");
        assertThat(named).allMatch(m -> m.get("file").toString().endsWith("law_mc.jsonl"));
        assertThat(named).extracting(m -> m.get("id")).contains("range", "one", "noq");
    }

    /** A file whose kind cannot be read is an error naming it, not silently taken for SFT records. */
    @Test
    void anUnreadableInputIsAnErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("law_mc.jsonl.gz");
        Files.write(broken, new byte[]{'n', 'o', 't', ' ', 'g', 'z', 'i', 'p'});
        assertThatThrownBy(() -> EvalInputs.isMultipleChoice(new Configuration(), broken.toString()))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining(broken.toString()).hasMessageContaining("cannot read");
        assertThatThrownBy(() -> EvalInputs.isMultipleChoice(new Configuration(), dir.resolve("missing_mc.jsonl").toString()))
                .hasMessageContaining("missing_mc.jsonl").hasMessageContaining("does not exist");
    }
}
