package org.versatune.pipeline.classify;

import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a document into chunks of seeded lengths in [min, max] characters, ending at a space where one is near,
 * so that the classifier learns (and is measured on) short prose such as generated samples. Long documents
 * contribute at most {@code maxChunks} chunks, spread evenly over the document.
 */
public final class TextChunks {
    private TextChunks() {
    }

    public static List<String> chunks(String text, long seed, String id, int min, int max, int maxChunks) {
        List<String> all = new ArrayList<>();
        int pos = 0;
        int i = 0;
        int n = text.length();
        while (pos < n) {
            int len = min + (int) (Seeds.uniform(seed, id + "#" + i) * (max - min + 1));
            int end = Math.min(n, pos + len);
            if (end < n) {
                int space = text.lastIndexOf(' ', end);
                if (space > pos + min / 2) {
                    end = space;
                }
            }
            String chunk = text.substring(pos, end).strip();
            if (chunk.length() >= Math.min(min, 20) || all.isEmpty() && !chunk.isEmpty()) {
                all.add(chunk);
            }
            pos = end;
            i++;
        }
        if (all.size() <= maxChunks) {
            return all;
        }
        List<String> picked = new ArrayList<>(maxChunks);
        for (int j = 0; j < maxChunks; j++) {
            picked.add(all.get((int) ((long) j * all.size() / maxChunks)));
        }
        return picked;
    }
}
