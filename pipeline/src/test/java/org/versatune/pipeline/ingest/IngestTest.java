package org.versatune.pipeline.ingest;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(SparkExtension.class)
class IngestTest {
    private static final Settings SETTINGS = Settings.defaults();
    private static final String GOOD = "{\"id\":\"a1\",\"domain\":\"law\",\"instruction\":\"What is a tort?\",\"input\":\"\",\"output\":\"A civil wrong.\"}";

    private static Ingest.Result read(SparkSession spark, String... inputs) {
        return Ingest.read(spark, SETTINGS, List.of(inputs), null);
    }

    private static Row onlyRejected(Ingest.Result r) {
        List<Row> rows = r.rejected().collectAsList();
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    private static void assertBalanced(Ingest.Result r) {
        Map<String, Object> s = r.stats();
        assertThat(((Number) s.get("read")).longValue())
                .isEqualTo(((Number) s.get("accepted")).longValue() + ((Number) s.get("rejected")).longValue());
        assertThat(r.records().count()).isEqualTo(((Number) s.get("accepted")).longValue());
        assertThat(r.rejected().count()).isEqualTo(((Number) s.get("rejected")).longValue());
    }

    @Test
    void bundledSampleIngestsCleanly(SparkSession spark) {
        Ingest.Result r = read(spark, Samples.sft(), Samples.pretrain());
        assertBalanced(r);
        assertThat(r.stats().get("rejected")).isEqualTo(0L);
        assertThat(r.stats().get("read")).isEqualTo(1920L + 283L);
        @SuppressWarnings("unchecked")
        Map<String, Long> byDomain = (Map<String, Long>) r.stats().get("accepted_by_domain");
        assertThat(byDomain.keySet()).containsExactly("law", "medicine", "finance", "science", "code", "general");
        assertThat(byDomain.values()).allMatch(n -> n > 0);
        Row doc = r.records().filter("kind = 'text'").orderBy("id").first();
        assertThat(doc.getString(doc.fieldIndex("id"))).matches("[a-z]+-txt-[0-9a-f]{16}");
        assertThat(doc.getString(doc.fieldIndex("text"))).doesNotContain("\n\n");
    }

    @Test
    void malformedJsonIsRejectedWithFileAndLine(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("law.jsonl"), GOOD + "\n{\"id\": \"a2\", \"instruction\": \n");
        Ingest.Result r = read(spark, f.toString());
        Row rej = onlyRejected(r);
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("malformed_json");
        assertThat(rej.getLong(rej.fieldIndex("origin_line"))).isEqualTo(2L);
        assertThat(rej.getString(rej.fieldIndex("message"))).contains("law.jsonl:2").contains("malformed JSON");
        assertThat(new String((byte[]) rej.get(rej.fieldIndex("raw")), StandardCharsets.UTF_8)).startsWith("{\"id\": \"a2\"");
        assertBalanced(r);
    }

    @Test
    void aKeyGivenTwiceIsRejectedNotSilentlyOverwritten(SparkSession spark, @TempDir Path dir) throws Exception {
        String twice = "{\"id\":\"d1\",\"domain\":\"law\",\"domain\":\"medicine\",\"instruction\":\"q\",\"output\":\"o\"}";
        Path f = Samples.write(dir.resolve("x.jsonl"), GOOD + "\n" + twice + "\n");
        Ingest.Result r = read(spark, f.toString());
        assertBalanced(r);
        Row rej = onlyRejected(r);
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("duplicate_field");
        assertThat(rej.getString(rej.fieldIndex("field"))).isEqualTo("domain");
        assertThat(rej.getString(rej.fieldIndex("message"))).contains("x.jsonl:2").contains("'domain' is given more than once");
        assertThat(new String((byte[]) rej.get(rej.fieldIndex("raw")), StandardCharsets.UTF_8)).isEqualTo(twice);
    }

    @Test
    void aByteOrderMarkIsNotPartOfTheFirstRecordAndUnicodeSpacesAreBlank(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("x.jsonl"), "\uFEFF" + GOOD + "\n"
                + "{\"id\":\"n1\",\"domain\":\"law\",\"instruction\":\"\u00A0\u2003\",\"output\":\"o\"}\n");
        Ingest.Result r = read(spark, f.toString());
        assertBalanced(r);
        assertThat(r.records().count()).isEqualTo(1);
        Row rej = onlyRejected(r);
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("empty_text");
        assertThat(rej.getString(rej.fieldIndex("field"))).isEqualTo("instruction");
        Path t = dir.resolve("law.txt");
        Files.write(t, ("\uFEFFThe court held.\n\nSecond document.\n").getBytes(StandardCharsets.UTF_8));
        assertThat(read(spark, t.toString()).records().orderBy("origin_line").first().getAs("text").toString()).isEqualTo("The court held.");
    }

    @Test
    void anOutputInsideItsInputIsRefusedBeforeAnythingIsWritten(SparkSession spark, @TempDir Path dir) throws Exception {
        Samples.write(dir.resolve("law.jsonl"), GOOD + "\n");
        String inside = dir.resolve("out").toString();
        assertThatThrownBy(() -> Ingest.run(spark, SETTINGS, List.of(dir.toString()), null, inside, true))
                .hasMessageContaining("overlaps input").hasMessageContaining(dir.toString());
        assertThatThrownBy(() -> Ingest.run(spark, SETTINGS, List.of(dir + "/*.jsonl"), null, inside, false))
                .hasMessageContaining("overlaps input");
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactly("law.jsonl");
    }

    @Test
    void aDirectorySymlinkLoopIsReportedNotFollowed(SparkSession spark, @TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data/sub"));
        Samples.write(data.resolve("law.jsonl"), GOOD + "\n");
        Files.createSymbolicLink(data.resolve("loop"), dir.resolve("data"));
        assertThatThrownBy(() -> read(spark, dir.resolve("data").toString()))
                .hasMessageContaining("symlink loop").hasMessageContaining("loop");
        // a symlink to a folder outside is followed as before
        Path other = Files.createDirectories(dir.resolve("other"));
        Samples.write(other.resolve("medicine.jsonl"), GOOD.replace("a1", "m1").replace("\"law\"", "\"medicine\"") + "\n");
        Path clean = Files.createDirectories(dir.resolve("clean"));
        Files.createSymbolicLink(clean.resolve("linked"), other);
        assertThat(read(spark, clean.toString()).records().count()).isEqualTo(1);
    }

    @Test
    void missingAndWronglyTypedFieldsNameTheField(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("x.jsonl"), String.join("\n",
                "{\"id\":\"m1\",\"domain\":\"law\",\"output\":\"o\"}",
                "{\"id\":\"m2\",\"domain\":\"law\",\"instruction\":\"i\",\"output\":42}",
                "{\"instruction\":\"i\",\"output\":\"o\"}",
                "[1,2,3]") + "\n");
        Ingest.Result r = read(spark, f.toString());
        List<Row> rej = r.rejected().orderBy("origin_line").collectAsList();
        assertThat(rej).extracting(x -> x.getString(x.fieldIndex("reason")))
                .containsExactly("missing_field", "wrong_type", "missing_field", "wrong_type");
        assertThat(rej).extracting(x -> x.getString(x.fieldIndex("field"))).containsExactly("instruction", "output", "id", null);
        assertThat(rej.get(1).getString(rej.get(1).fieldIndex("message"))).contains("field 'output' must be a string, found number");
        assertThat(rej.get(0).getString(rej.get(0).fieldIndex("id"))).isEqualTo("m1");
        assertBalanced(r);
    }

    @Test
    void emptyInstructionOrOutputIsRejected(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("x.jsonl"),
                "{\"id\":\"e1\",\"domain\":\"law\",\"instruction\":\"  \",\"output\":\"o\"}\n"
                        + "{\"id\":\"e2\",\"domain\":\"law\",\"instruction\":\"i\",\"output\":\"\"}\n");
        Ingest.Result r = read(spark, f.toString());
        List<Row> rej = r.rejected().orderBy("origin_line").collectAsList();
        assertThat(rej).extracting(x -> x.getString(x.fieldIndex("reason"))).containsExactly("empty_text", "empty_text");
        assertThat(rej).extracting(x -> x.getString(x.fieldIndex("field"))).containsExactly("instruction", "output");
    }

    @Test
    void unknownDomainIsRejected(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("x.jsonl"), GOOD.replace("\"law\"", "\"astrology\"") + "\n");
        Row rej = onlyRejected(read(spark, f.toString()));
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("unknown_domain");
        assertThat(rej.getString(rej.fieldIndex("message"))).contains("'astrology'").contains("law, medicine");
    }

    @Test
    void invalidUtf8IsRejectedAndItsBytesKept(SparkSession spark, @TempDir Path dir) throws Exception {
        byte[] broken = brokenUtf8(GOOD.replace("a1", "a9").replace("civil", "civ\u00e9l") + "\n");
        Path f = Samples.writeBytes(dir.resolve("law.jsonl"), broken);
        Row rej = onlyRejected(read(spark, f.toString()));
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("invalid_utf8");
        assertThat((byte[]) rej.get(rej.fieldIndex("raw"))).isEqualTo(Arrays.copyOf(broken, broken.length - 1));
        // the same for a raw text document: the file and the document's first line named, the good one kept
        byte[] doc = brokenUtf8("Fine document.\n\nBroken \u00e9 one.\n");
        Ingest.Result text = read(spark, Samples.writeBytes(dir.resolve("law.txt"), doc).toString());
        Row textRej = onlyRejected(text);
        assertThat(textRej.getString(textRej.fieldIndex("reason"))).isEqualTo("invalid_utf8");
        assertThat(textRej.getString(textRej.fieldIndex("message"))).contains("law.txt:3: not valid UTF-8");
        assertThat(text.records().count()).isEqualTo(1);
    }

    /** The UTF-8 bytes of text whose 'é' lead bytes (0xC3) are replaced by 0xFF, never a valid UTF-8 byte. */
    private static byte[] brokenUtf8(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == (byte) 0xC3) {
                b[i] = (byte) 0xFF;
            }
        }
        return b;
    }

    @Test
    void duplicateIdsKeepTheFirstAndRejectTheRest(SparkSession spark, @TempDir Path dir) throws Exception {
        Path a = Samples.write(dir.resolve("a.jsonl"), GOOD + "\n");
        Path b = Samples.write(dir.resolve("b.jsonl"), GOOD.replace("A civil wrong.", "Another answer.") + "\n" + GOOD + "\n");
        Ingest.Result r = read(spark, dir.toString());
        assertThat(r.records().count()).isEqualTo(1);
        assertThat(r.records().first().getString(r.records().first().fieldIndex("origin_file"))).endsWith("a.jsonl");
        List<Row> rej = r.rejected().collectAsList();
        assertThat(rej).hasSize(2).allMatch(x -> "duplicate_id".equals(x.getString(x.fieldIndex("reason"))));
        assertThat(rej.get(0).getString(rej.get(0).fieldIndex("message"))).contains("first seen at").contains("a.jsonl:1");
        assertThat(rej).allMatch(x -> x.get(x.fieldIndex("raw")) != null);
        assertBalanced(r);
        // the duplicate's bytes as they were read: nested fields and spacing kept, nothing of ours added
        String original = "{\"id\": \"a1\",  \"domain\":\"law\", \"meta\": {\"k\": [1, 2]}, \"instruction\":\"q\",\"output\":\"o\"}";
        Path c = Samples.write(dir.resolve("c.jsonl"), original + "\n");
        Row d = read(spark, a.toString(), c.toString()).rejected().first();
        assertThat(new String((byte[]) d.get(d.fieldIndex("raw")), StandardCharsets.UTF_8)).isEqualTo(original);
    }

    @Test
    void oversizedRecordIsRejectedNotLoaded(SparkSession spark, @TempDir Path dir) throws Exception {
        String big = "x".repeat(10 * 1024 * 1024);
        Path f = Samples.write(dir.resolve("law.jsonl"), GOOD + "\n" + GOOD.replace("a1", "big").replace("A civil wrong.", big) + "\n");
        Ingest.Result r = read(spark, f.toString());
        Row rej = onlyRejected(r);
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("record_too_large");
        assertThat(rej.getString(rej.fieldIndex("message"))).contains("max-record-bytes");
        assertThat(((byte[]) rej.get(rej.fieldIndex("raw"))).length).isGreaterThan(10 * 1024 * 1024);
        assertThat(r.records().count()).isEqualTo(1);
    }

    @Test
    void truncatedGzipKeepsWhatCameBeforeAndRejectsTheTail(SparkSession spark, @TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            sb.append(GOOD.replace("a1", "t" + i).replace("A civil wrong.", "Answer number " + i + " " + "y".repeat(i % 50))).append('\n');
        }
        byte[] gz = Samples.gzip(sb.toString().getBytes(StandardCharsets.UTF_8));
        Path f = Samples.writeBytes(dir.resolve("law.jsonl.gz"), Arrays.copyOf(gz, gz.length * 2 / 3));
        Ingest.Result r = read(spark, f.toString());
        Row rej = onlyRejected(r);
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("truncated_gzip");
        assertThat(rej.getString(rej.fieldIndex("message"))).contains("truncated");
        long accepted = r.records().count();
        assertThat(accepted).isBetween(100L, 1999L);
        assertThat(rej.getLong(rej.fieldIndex("origin_line"))).isEqualTo(accepted + 1);
        assertBalanced(r);
    }

    @Test
    void notGzipAtAllIsAnUnreadableFile(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("law.jsonl.gz"), GOOD + "\n");
        Row rej = onlyRejected(read(spark, f.toString()));
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("unreadable_file");
    }

    @Test
    void emptyFileGivesNoRecordsAndAnEmptyDirectoryOrGlobIsAnError(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("files/law.jsonl"), "");
        Ingest.Result r = read(spark, f.toString());
        assertThat(r.stats().get("read")).isEqualTo(0L);
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> read(spark, dir.resolve("empty").toString()))
                .hasMessageContaining("contains no data files");
        assertThatThrownBy(() -> read(spark, dir.resolve("files/*.parquet").toString()))
                .hasMessageContaining("matches nothing");
        assertThatThrownBy(() -> read(spark, dir.resolve("missing.jsonl").toString()))
                .hasMessageContaining("input not found");
    }

    @Test
    void unsupportedFileTypeIsAClearError(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("notes.docx"), "x");
        assertThatThrownBy(() -> read(spark, f.toString())).hasMessageContaining("unsupported input file").hasMessageContaining(".jsonl");
    }

    @Test
    void rawTextSplitsOnBlankLinesAndTakesDomainFromTheFileName(SparkSession spark, @TempDir Path dir) throws Exception {
        Path f = Samples.write(dir.resolve("medicine.txt"), "First doc line one.\nline two.\n\n\n  \nSecond doc.\n");
        Ingest.Result r = read(spark, f.toString());
        List<Row> rows = r.records().orderBy("origin_line").collectAsList();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).getString(rows.get(0).fieldIndex("text"))).isEqualTo("First doc line one.\nline two.");
        assertThat(rows.get(1).getLong(rows.get(1).fieldIndex("origin_line"))).isEqualTo(6L);
        assertThat(rows).allMatch(x -> "medicine".equals(x.getString(x.fieldIndex("domain"))));
        Ingest.Result forced = Ingest.read(spark, SETTINGS, List.of(f.toString()), "law");
        assertThat(forced.records().filter("domain = 'law'").count()).isEqualTo(2);
        assertThatThrownBy(() -> Ingest.read(spark, SETTINGS, List.of(f.toString()), "astrology"))
                .hasMessageContaining("--domain 'astrology'");
    }

    @Test
    void parquetWithAWrongSchemaIsAClearError(SparkSession spark, @TempDir Path dir) {
        String p = dir.resolve("bad.parquet").toString();
        spark.sql("select 1 as foo, 'x' as bar").repartition(1).write().parquet(p);
        assertThatThrownBy(() -> read(spark, p))
                .isInstanceOf(TableSchema.SchemaMismatchException.class)
                .hasMessageContaining("[foo, bar]").hasMessageContaining("expected an SFT table");
    }

    @Test
    void parquetRowsAreValidatedLikeJson(SparkSession spark, @TempDir Path dir) {
        String p = dir.resolve("pool").toString();
        spark.sql("select 'p1' as id, 'code' as domain, 'Write a loop' as instruction, '' as input, 'for x in y: pass' as output "
                + "union all select 'p2', 'code', 'Empty', '', ''").repartition(1).write().parquet(p);
        Ingest.Result r = read(spark, p);
        assertThat(r.records().count()).isEqualTo(1);
        Row rej = onlyRejected(r);
        assertThat(rej.getString(rej.fieldIndex("reason"))).isEqualTo("empty_text");
        assertThat(rej.isNullAt(rej.fieldIndex("origin_line"))).isTrue();
    }

    @Test
    void stageWritesBothOutputsStatsAndMarkerAndRefusesToOverwrite(SparkSession spark, @TempDir Path dir) throws Exception {
        Path in = Samples.write(dir.resolve("in/law.jsonl"), GOOD + "\n{broken\n");
        String out = dir.resolve("out").toString();
        Map<String, Object> stats = Ingest.run(spark, SETTINGS, List.of(in.toString()), null, out, false);
        assertThat(stats).containsEntry("read", 2L).containsEntry("accepted", 1L).containsEntry("rejected", 1L);
        assertThat(Files.exists(dir.resolve("out/" + StageOutput.MARKER))).isTrue();
        assertThat(Files.readString(dir.resolve("out/stats.json"))).contains("\"malformed_json\" : 1");
        assertThat(Files.readString(dir.resolve("out/config.json"))).contains("\"seed\"");
        assertThat(TableSchema.of("record").read(spark, out + "/records").count()).isEqualTo(1);
        assertThat(TableSchema.of("rejected").read(spark, out + "/rejected").count()).isEqualTo(1);
        assertThat(TableSchema.of("record").read(spark, out + "/records").first().getString(1)).isEqualTo("law");

        // a completed output is skipped; a foreign one refused; --overwrite replaces
        assertThat(Ingest.run(spark, SETTINGS, List.of(in.toString()), null, out, false)).containsEntry("skipped", true);
        Path foreign = Samples.write(dir.resolve("mine/notes.txt"), "keep me");
        assertThatThrownBy(() -> Ingest.run(spark, SETTINGS, List.of(in.toString()), null, foreign.getParent().toString(), false))
                .isInstanceOf(StageOutput.OutputExistsException.class).hasMessageContaining("--overwrite");
        assertThat(Files.readString(foreign)).isEqualTo("keep me");
        assertThat(Ingest.run(spark, SETTINGS, List.of(in.toString()), null, out, true)).doesNotContainKey("skipped");
    }
}
