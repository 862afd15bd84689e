package org.versatune.pipeline.config;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {
    @Test
    void defaultsLoad() {
        Settings s = Settings.defaults();
        assertThat(s.domains().names()).containsExactly("law", "medicine", "finance", "science", "code", "general");
        assertThat(s.seed()).isEqualTo(42L);
        assertThat(s.section("classifier").getDouble("confidence-threshold")).isEqualTo(0.5);
    }

    @Test
    void setOverridesWithOrWithoutPrefix() {
        Settings s = Settings.load(List.of(), List.of("run.seed=7", "versatune.classifier.max-iter=3"));
        assertThat(s.seed()).isEqualTo(7L);
        assertThat(s.section("classifier").getInt("max-iter")).isEqualTo(3);
    }

    @Test
    void confFilesApplyInOrderAndSetWins(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.conf"), "versatune.run.seed = 1\nversatune.classifier.max-iter = 5\n");
        Path b = Files.writeString(dir.resolve("b.conf"), "versatune { run { seed = 2 } }\n");
        Settings s = Settings.load(List.of(a.toString(), b.toString()), List.of("classifier.max-iter=9"));
        assertThat(s.seed()).isEqualTo(2L);
        assertThat(s.section("classifier").getInt("max-iter")).isEqualTo(9);
    }

    @Test
    void unknownKeyNamesTheNearestValidOne() {
        assertThatThrownBy(() -> Settings.load(List.of(), List.of("classifier.num-feature=1024")))
                .isInstanceOf(Settings.SettingsException.class)
                .hasMessageContaining("unknown config key 'versatune.classifier.num-feature'")
                .hasMessageContaining("did you mean 'versatune.classifier.num-features'");
    }

    @Test
    void typoInAFileNamesFileAndKey(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("typo.conf"), "versatune.run.sed = 3\n");
        assertThatThrownBy(() -> Settings.load(List.of(f.toString()), List.of()))
                .hasMessageContaining("versatune.run.sed").hasMessageContaining("typo.conf")
                .hasMessageContaining("did you mean 'versatune.run.seed'");
    }

    @Test
    void keysOutsideTheRootAreRejected() {
        assertThatThrownBy(() -> Settings.load(List.of(), List.of("versatune=1")))
                .isInstanceOf(Settings.SettingsException.class);
    }

    @Test
    void wrongTypeIsAnError() {
        assertThatThrownBy(() -> Settings.load(List.of(), List.of("classifier.max-iter=lots")))
                .isInstanceOf(Settings.SettingsException.class)
                .hasMessageContaining("versatune.classifier.max-iter").hasMessageContaining("must be a number");
    }

    @Test
    void missingConfFileIsAnError() {
        assertThatThrownBy(() -> Settings.load(List.of("/nonexistent/x.conf"), List.of()))
                .hasMessageContaining("config file not found: /nonexistent/x.conf");
    }

    @Test
    void renderedJsonRoundTrips() {
        Settings s = Settings.load(List.of(), List.of("run.seed=11"));
        String json = s.renderJson();
        assertThat(json).contains("\"seed\" : 11");
        Settings back = Settings.load(List.of(), List.of());
        assertThat(back.seed()).isEqualTo(42L);
    }

    @Test
    void serializesAcrossTheWire() throws Exception {
        Settings s = Settings.load(List.of(), List.of("run.seed=5"));
        var bos = new ByteArrayOutputStream();
        try (var oos = new ObjectOutputStream(bos)) {
            oos.writeObject(s);
        }
        Settings copy = (Settings) new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray())).readObject();
        assertThat(copy.seed()).isEqualTo(5L);
        assertThat(copy.domains()).isEqualTo(s.domains());
    }

    @Test
    void invalidDomainListIsRejected() {
        assertThatThrownBy(() -> Settings.load(List.of(), List.of("domains=[law,law]")).domains())
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> Settings.load(List.of(), List.of("domains=[law,unlabeled]")).domains())
                .hasMessageContaining("reserved");
    }

    @Test
    void aConfigShippedWithSparkFilesIsFoundByItsBareName(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("cluster.conf"), "versatune.run.seed = 77\n");
        System.setProperty("spark.files", "file:" + f + ",file:/elsewhere/other.txt");
        try {
            assertThat(Settings.load(List.of("cluster.conf"), List.of()).seed()).isEqualTo(77L);
        } finally {
            System.clearProperty("spark.files");
        }
    }
}
