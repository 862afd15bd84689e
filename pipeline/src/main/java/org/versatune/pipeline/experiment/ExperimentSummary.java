package org.versatune.pipeline.experiment;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An experiment's {@code summary.json} (docs/method.md section 5), as {@link ExperimentResults} makes it and the report
 * and the bench scripts read it: snake_case keys. Fields added later (the items-only intervals, an interval's
 * {@code seed_sd} and {@code rule}) are null in files written before them and left out of the JSON when null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ExperimentSummary(Base base, Map<String, Strategy> strategies, List<Comparison> claims,
                                List<Comparison> sensitivity, String verdictRule, Expansion expansion) {

    /** The base model on the test set; per-domain maps in the configured domain order, null where not measured. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Base(double comprehensiveScore, Map<String, Double> domainMeanNll, Map<String, Double> domainScore,
                       Map<String, Double> domainMcAccuracy, double mcAccuracy, Map<String, Double> domainMcChance,
                       double mcChance, Map<String, Integer> testRecords, Map<String, Integer> mcItems) {
    }

    /** One strategy over its seeds; {@code vsUniform} null for uniform itself or when uniform did not run. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Strategy(int seeds, double comprehensiveScoreMean, double comprehensiveScoreStd,
                           Map<Long, Double> comprehensiveScoreBySeed, Interval comprehensiveScoreInterval,
                           double meanNllChange, Map<Long, Double> meanNllChangeBySeed, double mcAccuracyMean,
                           Interval mcAccuracyInterval, Map<String, Double> domainScoreMean,
                           Map<String, Double> domainNllChangeMean, Map<String, Double> domainMcAccuracyMean,
                           Comparison vsUniform) {
    }

    /**
     * A against B, paired by seed, on both metrics: the verdict by the interval over seeds and items, and beside it
     * the items-only interval and verdict of the rule used before 2026-12-07 (absent from older files).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"claim", "a", "b", "seeds", "seeds_a_better"})   // a renamed property would otherwise come first
    public record Comparison(String claim, String a, String b, int seeds,
                             @JsonProperty("seeds_a_better") String seedsABetter,   // the naming strategy would write seeds_abetter
                             Interval scoreDifference, String scoreVerdict, Interval nllChangeDifference, String nllVerdict,
                             boolean metricsAgree, Interval scoreDifferenceItemsOnly, String scoreVerdictItemsOnly,
                             Interval nllChangeDifferenceItemsOnly, String nllVerdictItemsOnly) {
    }

    /**
     * A point estimate with its 95% interval; {@code seedSd} (the per-seed differences' standard deviation) and
     * {@code rule} only for an interval over seeds and items.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Interval(double estimate, double low, double high, int draws, Double seedSd, String rule) {
        static Interval of(PairedBootstrap.Interval i) {
            return new Interval(i.estimate(), i.low(), i.high(), i.draws(), null, null);
        }

        static Interval of(PairedBootstrap.SeedInterval s) {
            PairedBootstrap.Interval i = s.interval();
            return new Interval(i.estimate(), i.low(), i.high(), i.draws(), s.seedSd(), s.rule());
        }
    }

    /**
     * Domain expansion: the target, then one entry per expansion strategy keyed by its name beside {@code target}
     * (the file's shape from the start, which a record cannot hold: hence the any-getter and any-setter).
     */
    public static final class Expansion {
        private final String target;
        private final Map<String, ExpansionRun> runs = new LinkedHashMap<>();

        @JsonCreator
        public Expansion(@JsonProperty("target") String target) {
            this.target = target;
        }

        @JsonProperty("target")
        public String target() {
            return target;
        }

        @JsonAnyGetter
        public Map<String, ExpansionRun> runs() {
            return runs;
        }

        @JsonAnySetter
        public void put(String strategy, ExpansionRun run) {
            runs.put(strategy, run);
        }
    }

    /** An expansion strategy against the base, and (not for specific itself) against specific over shared seeds. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ExpansionRun(double targetGainMean, double degradationMean, Map<String, Double> domainScoreChangeMean,
                               Integer seeds, Interval targetGainKeptVsSpecific, String gainKeptVerdict,
                               Interval reductionOfDegradationVsSpecific, String reductionVerdict) {
    }
}
