package org.versatune.jobs.bench;

import com.typesafe.config.Config;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.lm.Batch;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.Generator;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.NdThreads;
import org.versatune.pipeline.lm.Optimizer;
import org.versatune.pipeline.lm.StepProfile;
import org.versatune.pipeline.lm.TransformerLm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The language-model speed benchmark: the machine's fp32 GEMM peak (best of ND4J and numpy), training tokens/s
 * of the configured model in one process using every core, its FLOPs per token (counted exactly, and the
 * 6 x non-embedding-parameters estimate), model FLOPs utilisation, a per-part breakdown of a step, and the
 * generation rate with the probe's sampling settings. With a checkpoint (e.g. an imported one), its shape and
 * weights instead of the configured shape.
 */
public final class LmBenchmark {
    private LmBenchmark() {
    }

    public static Map<String, Object> run(Settings settings, int steps, LmCheckpoint checkpoint, PrintLog log) {
        return run(settings, steps, checkpoint, List.of(), log);
    }

    /**
     * {@code steps} 0 skips training (a model too large to fine-tune on this machine); {@code generationRows} are the
     * batch sizes generation is timed at (empty: versatune.lm.generate.batch-rows).
     */
    public static Map<String, Object> run(Settings settings, int steps, LmCheckpoint checkpoint, List<Integer> generationRows,
                                          PrintLog log) {
        int cores = Runtime.getRuntime().availableProcessors();
        NdThreads.use(cores);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("threads", cores);
        r.put("openblas_coretype", System.getenv("OPENBLAS_CORETYPE"));
        r.put("omp_wait_policy", System.getenv("OMP_WAIT_POLICY"));

        double nd4j = 0;
        for (int n : new int[]{2048, 4096}) {
            nd4j = Math.max(nd4j, gemmPeak(n));
        }
        log.line(String.format("ND4J sgemm peak: %.1f GFLOP/s", nd4j));
        NumpyPeak np = numpyPeak(cores);
        Double numpy = np.gflops();
        log.line("numpy sgemm peak: " + (numpy == null ? "n/a (" + np.missing() + ")" : String.format("%.1f GFLOP/s", numpy)));
        double peak = Math.max(nd4j, numpy == null ? 0 : numpy);
        r.put("gemm_peak_nd4j_gflops", round(nd4j));
        r.put("gemm_peak_numpy_gflops", numpy == null ? null : round(numpy));
        if (numpy == null) {
            r.put("gemm_peak_numpy_missing", np.missing());
        }
        r.put("gemm_peak_gflops", round(peak));

        var lm = settings.section("lm");
        LmConfig cfg = checkpoint != null ? checkpoint.config() : LmConfig.from(lm.getConfig("model"), lm.getInt("tokenizer.vocab-size"));
        BpeTokenizer.Specials specials = checkpoint != null ? checkpoint.tokenizer().specials() : BpeTokenizer.Specials.OWN;
        int tokensPerBatch = lm.getInt("train.tokens-per-batch");
        int t = cfg.context();
        int b = Math.max(1, tokensPerBatch / t);
        r.put("model", cfg.toJson());
        r.put("batch", Map.of("rows", b, "length", t));
        // training keeps fp32 master weights (a 16-bit import widened); generation reads the weights as stored
        TransformerLm model = null;
        double tps = Double.NaN;
        if (steps > 0) {
            model = checkpoint != null ? checkpoint.masterWeights().model() : TransformerLm.initialise(cfg, 1, DataType.FLOAT);
            tps = train(model, cfg, lm, b, t, steps, r, peak, log);
        } else {
            r.put("training", "skipped (--steps 0)");
        }
        TransformerLm reader = checkpoint != null ? checkpoint.model() : model != null ? model : TransformerLm.initialise(cfg, 1, DataType.FLOAT);
        r.put("stored_dtype", reader.params().dataType().name());
        r.put("parameter_bytes", reader.params().length() * reader.params().dataType().width());
        Generator.Sampling s = Generator.Sampling.from(lm.getConfig("generate"));
        List<Integer> rowCounts = generationRows.isEmpty() ? List.of(lm.getInt("generate.batch-rows")) : generationRows;
        Generator.generate(reader, specials, new int[Math.min(rowCounts.get(0), 8)][], new Generator.Sampling(8, 1, 1, 0, 1.1), 1); // warm-up
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int rows : rowCounts) {
            long g0 = System.nanoTime();
            var out = Generator.generate(reader, specials, new int[rows][], new Generator.Sampling(Math.min(s.maxTokens(), t - 1),
                    s.temperature(), s.topP(), s.topK(), s.repetitionPenalty()), 7);
            double gsec = (System.nanoTime() - g0) / 1e9;
            long generated = out.stream().mapToLong(a -> a.length).sum();
            double gtps = generated / gsec;
            log.line(String.format("generation: %d rows, %d tokens in %.2f s, %.0f tokens/s", rows, generated, gsec, gtps));
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("rows", rows);
            g.put("tokens", generated);
            g.put("seconds", round(gsec));
            g.put("tokens_per_s", round(gtps));
            runs.add(g);
        }
        Map<String, Object> first = runs.get(0);
        r.put("generation_rows", first.get("rows"));
        r.put("generation_tokens", first.get("tokens"));
        r.put("generation_tokens_per_s", first.get("tokens_per_s"));
        if (steps > 0) {
            r.put("generation_vs_training", round4((Double) first.get("tokens_per_s") / tps));
        }
        r.put("generation", runs);
        return r;
    }

    /** Timed training steps (after three untimed ones); returns tokens/s and records the step's figures in r. */
    private static double train(TransformerLm model, LmConfig cfg, Config lm, int b, int t, int steps, Map<String, Object> r,
                                double peak, PrintLog log) {
        Random rnd = new Random(1);
        int[][] seqs = new int[b][t + 1];
        for (int[] s : seqs) {
            for (int i = 0; i < s.length; i++) {
                s[i] = 4 + rnd.nextInt(cfg.vocabSize() - 4);
            }
        }
        Batch batch = Batch.of(seqs, new int[b], t);
        Optimizer.Schedule sched = Optimizer.Schedule.from(lm.getConfig("train"), steps + 3);
        Optimizer opt = Optimizer.fresh(sched, model.params());
        for (int i = 0; i < 3; i++) {
            model.trainStep(batch);
            opt.apply(sched, model.params(), model.grads(), i);
        }
        StepProfile.reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            model.trainStep(batch);
            opt.apply(sched, model.params(), model.grads(), 3 + i);
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        double tps = (double) b * t * steps / sec;
        double flops = cfg.trainFlopsPerToken(t);
        double flops6n = 6.0 * cfg.nonEmbeddingParams();
        log.line(String.format("training: %.3f s/step, %.0f tokens/s", sec / steps, tps));
        r.put("steps", steps);
        r.put("seconds_per_step", round(sec / steps));
        r.put("tokens_per_s", round(tps));
        r.put("flops_per_token", flops);
        r.put("flops_per_token_6n", flops6n);
        r.put("model_gflops", round(tps * flops / 1e9));
        r.put("mfu", round4(tps * flops / 1e9 / peak));
        r.put("mfu_6n", round4(tps * flops6n / 1e9 / peak));
        Map<String, Double> prof = StepProfile.snapshot();
        if (!prof.isEmpty()) {
            Map<String, Double> perStep = new LinkedHashMap<>();
            prof.forEach((k, v) -> perStep.put(k, round(v / steps)));
            r.put("step_profile_ms", perStep);
        }
        return tps;
    }

    static double gemmPeak(int n) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        NdThreads.gemm(a, false, b, false, c, 0);   // as the model multiplies: BLAS on one thread per row block
        double best = 0;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            NdThreads.gemm(a, false, b, false, c, 0);
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 2.0 * n * n * n / s / 1e9);
        }
        return best;
    }

    /** numpy's float32 GEMM peak, or why there is none (no python3, no numpy, a failed run). */
    record NumpyPeak(Double gflops, String missing) {
    }

    /** numpy's float32 GEMM peak with the same thread count. */
    static NumpyPeak numpyPeak(int threads) {
        String code = "import numpy as np,time\n"
                + "best=0\n"
                + "for n in (2048,4096):\n"
                + "  a=np.random.rand(n,n).astype(np.float32); b=np.random.rand(n,n).astype(np.float32); a@b\n"
                + "  for _ in range(5):\n"
                + "    t=time.perf_counter(); a@b; best=max(best,2*n**3/(time.perf_counter()-t)/1e9)\n"
                + "print(best)\n";
        try {
            ProcessBuilder pb = new ProcessBuilder("python3", "-c", code).redirectErrorStream(true);
            pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
            pb.environment().put("OPENBLAS_NUM_THREADS", String.valueOf(threads));
            Process p = pb.start();
            String last = null;
            try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = br.readLine()) != null) {
                    last = line;
                }
            }
            int code0 = p.waitFor();
            if (code0 != 0 || last == null) {
                return new NumpyPeak(null, "python3 exited with " + code0 + (last == null ? "" : ": " + last.trim()));
            }
            return new NumpyPeak(Double.parseDouble(last.trim()), null);
        } catch (IOException e) {
            return new NumpyPeak(null, "cannot run python3: " + e.getMessage());
        } catch (NumberFormatException e) {
            return new NumpyPeak(null, "unexpected output from numpy: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new NumpyPeak(null, "interrupted");
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round4(double v) {
        return Math.round(v * 10000) / 10000.0;
    }

    /** Where progress lines go. */
    public interface PrintLog {
        void line(String s);
    }
}
