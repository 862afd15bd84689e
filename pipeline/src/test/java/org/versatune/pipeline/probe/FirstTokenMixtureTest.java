package org.versatune.pipeline.probe;

import org.junit.jupiter.api.Test;
import org.versatune.pipeline.pretrain.DocumentWindows;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FirstTokenMixtureTest {

    @Test
    void fitRecoversTheWeightsOfAnExactMixture() {
        // 0.3 x (0.5, 0.5, 0) + 0.7 x (0, 0.5, 0.5) = (0.15, 0.5, 0.35)
        double[][] g = {{0.5, 0.5, 0}, {0, 0.5, 0.5}};
        assertThat(FirstTokenMixture.fit(new double[]{0.15, 0.5, 0.35}, g).weights()).containsExactly(new double[]{0.3, 0.7}, within(1e-8));
        assertThat(FirstTokenMixture.kl(new double[]{0.15, 0.5, 0.35}, new double[]{0.3, 0.7}, g)).isCloseTo(0, within(1e-12));
    }

    @Test
    void windowSharesBecomeTokenSharesThroughTheMeanWindowLength() {
        // equal numbers of windows, the second domain's three times as long: a quarter and three quarters of the tokens
        assertThat(FirstTokenMixture.tokenShares(new double[]{0.5, 0.5}, new double[]{100, 300}))
                .containsExactly(new double[]{0.25, 0.75}, within(1e-12));
    }

    @Test
    void aDomainsWindowStartsMixItsOpeningsAndItsTokenFrequencies() {
        // vocabulary 4, windows of 2 tokens: one document [1, 2, 3] has 2 windows, so f = 1/2 of them open it.
        // U = (counts + 0.5) / (3 + 2) = (0.1, 0.3, 0.3, 0.3); S = (opening + 10 U) / 11 = (1, 4, 3, 3) / 11
        FirstTokenMixture m = new FirstTokenMixture(1, 4, 2);
        FirstTokenMixture.Counts c = m.count(List.of(new FirstTokenMixture.Document("d", 0, new int[]{1, 2, 3})));
        double[] u = {0.1, 0.3, 0.3, 0.3};
        double[] s = {1 / 11.0, 4 / 11.0, 3 / 11.0, 3 / 11.0};
        double[] g = c.components()[0];
        for (int v = 0; v < 4; v++) {
            assertThat(g[v]).isCloseTo(0.5 * s[v] + 0.5 * u[v], within(1e-12));
        }
        assertThat(c.windowLength()[0]).isEqualTo(1.5);
    }

    /**
     * A packed layout: after its prefix the model opens a document, so the units are documents. Domain 0's documents
     * are 10 tokens long and open with token 1, domain 1's are 30 long and open with token 2; a model that opens either
     * half the time holds them as documents 1:1, tokens 10:30.
     */
    @Test
    void packedLayoutsReadDocumentOpeningsAndWeighByDocumentLength() {
        int vocab = 4;
        FirstTokenMixture m = new FirstTokenMixture(2, vocab, 4, DocumentWindows.Layout.PACKED_EOS);
        List<FirstTokenMixture.Document> docs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int[] a = new int[10];
            int[] b = new int[30];
            a[0] = 1;
            b[0] = 2;
            docs.add(new FirstTokenMixture.Document("a" + i, 0, a));
            docs.add(new FirstTokenMixture.Document("b" + i, 1, b));
        }
        FirstTokenMixture.Counts c = m.count(docs);
        assertThat(c.windows).containsExactly(20, 20);   // one unit per document, not ceil(length / context)
        assertThat(c.windowLength()).containsExactly(10.0, 30.0);
        double[][] g = c.components();
        double[] p = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            p[v] = 0.5 * g[0][v] + 0.5 * g[1][v];
        }
        assertThat(m.estimate(p, docs, 100, 3).estimate().shares()).containsExactly(new double[]{0.25, 0.75}, within(1e-6));
        assertThat(FirstTokenMixture.prefix(DocumentWindows.Layout.DOCUMENT_BOS, 7, 9)).containsExactly(9, 7);
        assertThat(FirstTokenMixture.prefix(DocumentWindows.Layout.PACKED_EOS, 7, 9)).containsExactly(9);
        assertThat(FirstTokenMixture.prefix(DocumentWindows.Layout.WINDOW_BOS, 7, 9)).containsExactly(7);
    }

    /** Two domains with their own tokens; the model's distribution is their windows' mixture 1:3. */
    @Test
    void estimateReadsTheMixtureBackAndWidensWhenTheModelFitsBadly() {
        int vocab = 8;
        FirstTokenMixture m = new FirstTokenMixture(2, vocab, 4);
        List<FirstTokenMixture.Document> docs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // domain 0 writes tokens 0-3, domain 1 tokens 4-7; 8 tokens each: 2 windows per document
            docs.add(new FirstTokenMixture.Document("a" + i, 0, new int[]{i % 4, 1, 2, 3, 0, 1, 2, 3}));
            docs.add(new FirstTokenMixture.Document("b" + i, 1, new int[]{4 + i % 4, 5, 6, 7, 4, 5, 6, 7}));
        }
        double[][] g = m.count(docs).components();
        double[] p = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            p[v] = 0.25 * g[0][v] + 0.75 * g[1][v];
        }
        FirstTokenMixture.Result exact = m.estimate(p, docs, 200, 7);
        // equal window lengths: token shares equal window shares
        assertThat(exact.estimate().shares()).containsExactly(new double[]{0.25, 0.75}, within(1e-6));
        assertThat(exact.kl()).isLessThan(1e-9);
        assertThat(exact.estimate().low()[0]).isLessThanOrEqualTo(0.25);
        assertThat(exact.estimate().high()[0]).isGreaterThanOrEqualTo(0.25);
        assertThat(exact.documents()).containsExactly(40, 40);
        assertThat(exact.windows()).containsExactly(80, 80);

        // a model the mixture cannot explain exactly: the residual widens the interval
        double[] off = p.clone();
        off[0] += 0.05;
        off[4] -= 0.05;
        FirstTokenMixture.Result poor = m.estimate(off, docs, 200, 7);
        assertThat(poor.kl()).isGreaterThan(exact.kl());
        assertThat(poor.estimate().maxWidth()).isGreaterThan(exact.estimate().maxWidth());
        // the same seed gives the same interval
        assertThat(m.estimate(off, docs, 200, 7).estimate().low()).containsExactly(poor.estimate().low());
    }
}
