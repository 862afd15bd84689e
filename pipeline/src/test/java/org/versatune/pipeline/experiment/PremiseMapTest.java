package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.io.Json;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The premise map's line fits by hand, and points read from hand-made experiment folders. */
class PremiseMapTest {
    static final Configuration CONF = new Configuration();

    @Test
    void aLineThroughThreePointsHasTheHandComputedCovarianceAndCrossing() {
        // x 0, 1, 2; y 1, 3, 5; se 1: S = 3, Sx = 3, Sxx = 5, det 6; var b = 3/6, var a = 5/6, cov = -3/6
        PremiseMap.Trend t = PremiseMap.fit("c", new double[]{0, 1, 2}, new double[]{1, 3, 5}, new double[]{1, 1, 1});
        assertThat(t.slope()).isCloseTo(2, within(1e-12));
        assertThat(t.intercept()).isCloseTo(1, within(1e-12));
        assertThat(t.chiSquare()).isCloseTo(0, within(1e-12));
        assertThat(t.scale()).isEqualTo(1);
        double z = 1.959963984540054;
        assertThat(t.slopeLow()).isCloseTo(2 - z * Math.sqrt(0.5), within(1e-12));
        assertThat(t.trend()).isTrue();
        // x0 = -a/b = -0.5; var x0 = (5/6 + 0.25 * 0.5 + 2 * (-0.5) * (-0.5)) / 4 = 0.364583...
        assertThat(t.crossingX()).isCloseTo(-0.5, within(1e-12));
        assertThat(t.crossingHigh()).isCloseTo(-0.5 + z * Math.sqrt((5.0 / 6 + 0.125 + 0.5) / 4), within(1e-12));
        assertThat(t.extrapolation()).isTrue();
    }

    @Test
    void pointsThatScatterMoreThanTheirIntervalsWidenTheSlopeUntilNoTrendIsClaimed() {
        // y 1, 5, 3: b = (3 * 11 - 3 * 9) / 6 = 1, a = (5 * 9 - 3 * 11) / 6 = 2; residuals -1, 2, -1: chi^2 6 on 1 df
        PremiseMap.Trend t = PremiseMap.fit("c", new double[]{0, 1, 2}, new double[]{1, 5, 3}, new double[]{1, 1, 1});
        assertThat(t.slope()).isCloseTo(1, within(1e-12));
        assertThat(t.intercept()).isCloseTo(2, within(1e-12));
        assertThat(t.chiSquare()).isCloseTo(6, within(1e-12));
        assertThat(t.scale()).isCloseTo(6, within(1e-12));
        // the scatter is estimated (1 degree of freedom): var b = 6 * 3 / 6, and the interval takes t(0.975, 1)
        assertThat(t.slopeHigh() - t.slope()).isCloseTo(12.706204736174698 * Math.sqrt(3), within(1e-9));
        assertThat(t.trend()).isFalse();
        assertThat(t.crossingX()).isNull();
        // points on a line within their errors: a trend, its crossing (0.993) inside the range, not an extrapolation
        PremiseMap.Trend inside = PremiseMap.fit("c", new double[]{0, 1, 2}, new double[]{-1, 0, 1.02}, new double[]{0.1, 0.1, 0.1});
        assertThat(inside.trend()).isTrue();
        assertThat(inside.extrapolation()).isFalse();
    }

    @Test
    void twoPointsGiveALineButNoTrendAndWeightsFollowTheStandardErrors() {
        PremiseMap.Trend two = PremiseMap.fit("c", new double[]{0, 1}, new double[]{0, 10}, new double[]{0.01, 0.01});
        assertThat(two.slope()).isCloseTo(10, within(1e-9));
        assertThat(two.trend()).isFalse();
        // a precise middle point pulls the line through itself: weights 1, 10000, 1
        PremiseMap.Trend w = PremiseMap.fit("c", new double[]{0, 1, 2}, new double[]{0, 5, 0}, new double[]{1, 0.01, 1});
        assertThat(w.intercept() + w.slope()).isCloseTo(5, within(2e-3));
        assertThatThrownBy(() -> PremiseMap.fit("c", new double[]{1, 1}, new double[]{0, 1}, new double[]{1, 1}))
                .hasMessageContaining("share one x");
    }

    @Test
    void aStandardErrorIsTheIntervalsHalfWidthOverTheQuantileItWasMadeWith() {
        // three seeds: t(0.975, 2) = 4.302652729911275
        var seeds = new ExperimentSummary.Interval(0, -4.302652729911275, 4.302652729911275, 2000, 0.1, "seeds and items (t, n - 1 df)");
        assertThat(PremiseMap.standardError(seeds, 3)).isCloseTo(1, within(1e-9));
        var items = new ExperimentSummary.Interval(0, -1.959963984540054, 1.959963984540054, 2000, null, null);
        assertThat(PremiseMap.standardError(items, 1)).isCloseTo(1, within(1e-9));
    }

    @Test
    void pointsComeFromTheirRunsAndBaseAndTheMapIsWrittenOnce(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        Files.createDirectories(base);
        Files.writeString(base.resolve("model.json"), "{\"parameters\": 1000}");
        Files.writeString(base.resolve("stats.json"), "{\"tokens_trained\": 200000}");
        Map<String, List<String>> axes = new LinkedHashMap<>();
        // x = log10 of 0.01, 0.02, 0.08: -2, -1.699, -1.097; the differences lie on a line of slope 0.199
        axes.put("budget", List.of(point(dir, "p1", base, 100, -0.20, 0.02, 1000, 3000),
                point(dir, "p2", base, 400, -0.14, 0.02, 4000, 4000), point(dir, "p3", base, 1600, -0.02, 0.02, 16000, 16000)));
        PremiseMap map = PremiseMap.read(CONF, axes);
        PremiseMap.Point p1 = map.axes().get(0).points().get(0);
        // one run without tokens_trained (an older build) does not count: mean of 1000 and 3000
        assertThat(p1.runsWithTokens()).isEqualTo(2);
        assertThat(p1.sftTokens()).isEqualTo(2000);
        assertThat(p1.sftRatio()).isCloseTo(0.01, within(1e-15));
        assertThat(p1.tokensPerParameter()).isEqualTo(200);
        assertThat(p1.stageSize()).isEqualTo(100);
        PremiseMap.Trend t = map.axes().get(0).trends().get(0);
        assertThat(t.claim()).isEqualTo("oracle > uniform");
        assertThat(t.points()).isEqualTo(3);
        assertThat(t.slope()).isCloseTo(0.1993, within(1e-4));
        assertThat(t.trend()).isTrue();
        // it would cross zero at x = -0.997, past the largest budget measured
        assertThat(t.crossingX()).isCloseTo(-0.9966, within(1e-3));
        assertThat(t.extrapolation()).isTrue();

        String out = dir.resolve("map").toString();
        PremiseMapReport.write(CONF, map, out, false);
        assertThat(ImageIO.read(dir.resolve("map/map-budget.png").toFile()).getWidth()).isEqualTo(900);
        assertThat(Json.readMap(CONF, out + "/map.json")).containsKey("axes");
        assertThat(Files.readString(dir.resolve("map/index.html"))).contains("oracle &gt; uniform").contains("-0.200");
        assertThat(PremiseMapReport.markdown(map)).contains("| p1 | 1.00% | 1,000 | 200.0 | -0.200 [");
        assertThatThrownBy(() -> PremiseMapReport.write(CONF, map, out, false)).hasMessageContaining("--overwrite");
        // a report already in the folder is not replaced either
        Files.delete(dir.resolve("map/map.json"));
        assertThatThrownBy(() -> PremiseMapReport.write(CONF, map, out, false)).hasMessageContaining("index.html");

        Files.delete(dir.resolve("p3/runs/uniform/seed-1/summary.json"));
        Files.delete(dir.resolve("p3/runs/uniform/seed-2/summary.json"));
        Files.writeString(dir.resolve("p3/runs/uniform/seed-2/summary.json"), "{\"stage_size\": 1600}");
        assertThatThrownBy(() -> PremiseMap.read(CONF, axes)).hasMessageContaining("p3").hasMessageContaining("tokens_trained");
        assertThatThrownBy(() -> PremiseMap.read(CONF, Map.of("depth", List.of(dir.resolve("p1").toString()))))
                .hasMessageContaining("'budget' or 'size'");
        assertThatThrownBy(() -> PremiseMap.read(CONF, Map.of("budget", List.of(dir.resolve("p1").toString(), " "))))
                .hasMessageContaining("empty folder name");
        Files.writeString(base.resolve("model.json"), "{\"parameters\": 0}");
        assertThatThrownBy(() -> PremiseMap.read(CONF, Map.of("size", List.of(dir.resolve("p1").toString()))))
                .hasMessageContaining("model.json").hasMessageContaining("'parameters'");
    }

    /** An experiment folder with one claim (difference d, seeds-and-items half-width h) and three runs. */
    private static String point(Path dir, String name, Path base, long stageSize, double d, double h, long tokens1, long tokens2)
            throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p);
        var diff = new ExperimentSummary.Interval(d, d - h, d + h, 2000, 0.01, "seeds and items (t, n - 1 df)");
        var claim = new ExperimentSummary.Comparison("oracle > uniform", "oracle", "uniform", 3, "0/3", diff, "worse", diff,
                "worse", true, null, null, null, null);
        Json.write(CONF, p.resolve("summary.json").toString(), new ExperimentSummary(null, null, List.of(claim), null, null, null));
        Files.writeString(p.resolve("config.json"), "{\"versatune\": {\"experiment\": {\"base\": \"" + base + "\"}}}");
        run(p, "oracle", 1, "{\"stage_size\": " + stageSize + "}");
        run(p, "uniform", 1, "{\"stage_size\": " + stageSize + ", \"tokens_trained\": " + tokens1 + "}");
        run(p, "uniform", 2, "{\"stage_size\": " + stageSize + ", \"tokens_trained\": " + tokens2 + "}");
        return p.toString();
    }

    private static void run(Path p, String strategy, int seed, String json) throws Exception {
        Path r = p.resolve("runs/" + strategy + "/seed-" + seed);
        Files.createDirectories(r);
        Files.writeString(r.resolve("summary.json"), json);
    }
}
