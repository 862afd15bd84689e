package org.versatune.pipeline.mixture;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.versatune.pipeline.io.Json;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

public class AllocationTest {
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> vectors(String kind) throws Exception {
        try (InputStream in = AllocationTest.class.getResourceAsStream("/method-vectors.json")) {
            Map<String, Object> m = Json.MAPPER.readValue(in, Map.class);
            return ((List<Map<String, Object>>) m.get("cases")).stream().filter(c -> kind.equals(c.get("kind"))).toList();
        }
    }

    public static double[] doubles(Object o) {
        return ((List<?>) o).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
    }

    @Test
    @SuppressWarnings("unchecked")
    void reproducesTheMethodsWorkedExamples() throws Exception {
        List<Map<String, Object>> cases = vectors("allocation");
        assertThat(cases).hasSize(4);
        for (Map<String, Object> c : cases) {
            long[] expected = ((List<Number>) c.get("expected_counts")).stream().mapToLong(Number::longValue).toArray();
            long budget = ((Number) c.get("budget")).longValue();
            assertThat(Allocation.largestRemainder(doubles(c.get("weights")), budget)).as(c.toString()).containsExactly(expected);
        }
    }

    @Property
    void countsAlwaysSumToTheBudgetAndStayWithinOneOfExact(@ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = 0, max = 5) Double> raw,
                                                           @ForAll @IntRange(min = 0, max = 1_000_000) int budget) {
        double[] w = raw.stream().mapToDouble(Double::doubleValue).toArray();
        double total = Arrays.stream(w).sum();
        if (total <= 0) {
            return;
        }
        long[] n = Allocation.largestRemainder(w, budget);
        assertThat(Arrays.stream(n).sum()).isEqualTo(budget);
        for (int i = 0; i < w.length; i++) {
            double exact = w[i] / total * budget;
            assertThat(Math.abs(n[i] - exact)).isLessThan(1.0 + 1e-6);
            if (w[i] == 0) {
                assertThat(n[i]).isZero();
            }
        }
    }

    @Test
    void tinyAndZeroWeights() {
        assertThat(Allocation.largestRemainder(new double[]{1e-12, 1, 0}, 3)).containsExactly(0, 3, 0);
        assertThat(Allocation.largestRemainder(new double[]{0.5, 0.5}, 0)).containsExactly(0, 0);
        assertThat(Allocation.largestRemainder(new double[]{1, 1, 1}, 1)).containsExactly(1, 0, 0);
        assertThatThrownBy(() -> Allocation.largestRemainder(new double[]{0, 0}, 5)).hasMessageContaining("all zero");
        assertThatThrownBy(() -> Allocation.largestRemainder(new double[]{-1, 2}, 5)).hasMessageContaining("non-negative");
        assertThatThrownBy(() -> Allocation.largestRemainder(new double[]{Double.NaN, 2}, 5)).hasMessageContaining("finite");
    }
}
