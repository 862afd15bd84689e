package org.versatune.pipeline.classify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Accuracy, per-domain precision/recall/F1, macro-F1 and the confusion matrix (rows: true, columns: predicted). */
public final class ClassificationMetrics {
    private final List<String> domains;
    private final long[][] confusion;

    public ClassificationMetrics(List<String> domains, long[][] confusion) {
        this.domains = List.copyOf(domains);
        this.confusion = confusion;
    }

    public long total() {
        long n = 0;
        for (long[] row : confusion) {
            for (long v : row) {
                n += v;
            }
        }
        return n;
    }

    public double accuracy() {
        long correct = 0;
        for (int i = 0; i < confusion.length; i++) {
            correct += confusion[i][i];
        }
        long n = total();
        return n == 0 ? Double.NaN : (double) correct / n;
    }

    public double precision(int k) {
        long col = 0;
        for (long[] row : confusion) {
            col += row[k];
        }
        return col == 0 ? 0 : (double) confusion[k][k] / col;
    }

    public double recall(int k) {
        long row = support(k);
        return row == 0 ? 0 : (double) confusion[k][k] / row;
    }

    public long support(int k) {
        long row = 0;
        for (long v : confusion[k]) {
            row += v;
        }
        return row;
    }

    public double f1(int k) {
        double p = precision(k);
        double r = recall(k);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** Mean F1 over the domains that have support (a domain absent from the data does not count). */
    public double macroF1() {
        double sum = 0;
        int n = 0;
        for (int k = 0; k < domains.size(); k++) {
            if (support(k) > 0) {
                sum += f1(k);
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    public long[][] confusion() {
        return confusion;
    }

    /** Row-normalised confusion: entry [i][j] = P(predicted j | true i). */
    public double[][] confusionRates() {
        double[][] r = new double[confusion.length][confusion.length];
        for (int i = 0; i < confusion.length; i++) {
            long s = support(i);
            for (int j = 0; j < confusion.length; j++) {
                r[i][j] = s == 0 ? (i == j ? 1 : 0) : (double) confusion[i][j] / s;
            }
        }
        return r;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", total());
        m.put("accuracy", accuracy());
        m.put("macro_f1", macroF1());
        Map<String, Object> per = new LinkedHashMap<>();
        for (int k = 0; k < domains.size(); k++) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("precision", precision(k));
            d.put("recall", recall(k));
            d.put("f1", f1(k));
            d.put("support", support(k));
            per.put(domains.get(k), d);
        }
        m.put("per_domain", per);
        m.put("domains", domains);
        List<List<Long>> conf = new ArrayList<>();
        for (long[] row : confusion) {
            List<Long> r = new ArrayList<>();
            for (long v : row) {
                r.add(v);
            }
            conf.add(r);
        }
        m.put("confusion", conf);
        return m;
    }
}
