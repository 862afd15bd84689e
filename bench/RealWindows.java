import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.mixture.Allocation;
import org.versatune.pipeline.util.Seeds;

/**
 * Real text cut as the probe's samples are (design: bench/long-base.md, "A ceiling control"): the documents a base
 * held out at pretraining, cut into windows as pretraining cuts them (text + end token, CONTEXT tokens a window,
 * stride CONTEXT), each window's first MAX_TOKENS tokens decoded; N windows drawn with the mix's domain shares
 * (largest remainder), each domain's in a seeded order. Writes JSON Lines (id, domain, text) for
 * `probe --samples-input`.
 * Usage (bench/real-windows.sh): RealWindows BASE_DIR PRETRAIN_DIR MIX N CONTEXT MAX_TOKENS SEED OUT
 */
public class RealWindows {
    record Window(String id, String text, double rank) {}

    @SuppressWarnings("unchecked")
    public static void main(String[] a) throws Exception {
        Path base = Path.of(a[0]), pretrain = Path.of(a[1]);
        int n = Integer.parseInt(a[3]), context = Integer.parseInt(a[4]), maxTokens = Integer.parseInt(a[5]);
        long seed = Long.parseLong(a[6]);
        ObjectMapper json = new ObjectMapper();
        BpeTokenizer tok = BpeTokenizer.fromJson(json.readValue(base.resolve("tokenizer.json").toFile(), Map.class));
        Map<?, ?> heldout = (Map<?, ?>) json.readValue(base.resolve("pretrain-documents.json").toFile(), Map.class)
                .get("heldout");
        Map<String, Double> mix = new LinkedHashMap<>();
        for (String p : a[2].split(",")) {
            mix.put(p.split("=")[0], Double.parseDouble(p.split("=")[1]));
        }
        long[] counts = Allocation.largestRemainder(mix.values().stream().mapToDouble(Double::doubleValue).toArray(), n);
        List<String> domains = new ArrayList<>(mix.keySet());
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(a[7]), StandardCharsets.UTF_8))) {
            for (int d = 0; d < domains.size(); d++) {
                String domain = domains.get(d);
                int take = (int) counts[d];
                Set<String> ids = new HashSet<>((List<String>) heldout.get(domain));
                List<Window> windows = new ArrayList<>();
                int found = 0;
                for (String doc : documents(pretrain.resolve(domain + ".txt.gz"))) {
                    String id = domain + "-txt-" + sha256(doc).substring(0, 16);
                    if (!ids.contains(id)) {
                        continue;
                    }
                    found++;
                    int[] body = tok.encode(doc);
                    int[] all = Arrays.copyOf(body, body.length + 1);
                    all[body.length] = tok.specials().eos();
                    for (int start = 0, c = 0; start < all.length; start += context, c++) {
                        // a sample stops at the end token or after maxTokens (decode drops the end token)
                        int end = Math.min(Math.min(all.length, start + context), start + maxTokens);
                        String text = tok.decode(all, start, end);
                        if (!text.isEmpty()) {
                            windows.add(new Window(id + "#" + c, text,
                                    Seeds.uniform(seed, "window:" + id + "#" + c)));
                        }
                    }
                }
                if (found != ids.size()) {
                    throw new IllegalStateException(domain + ": found " + found + " of its " + ids.size()
                            + " held-out documents; the documents are not split as pretraining split them");
                }
                windows.sort(Comparator.comparingDouble(Window::rank));
                for (Window w : windows.subList(0, Math.min(take, windows.size()))) {
                    out.println(json.writeValueAsString(Map.of("id", w.id(), "domain", domain, "text", w.text())));
                }
                System.err.printf("%s: %d held-out documents, %d windows, %d drawn%n", domain, found, windows.size(),
                        Math.min(take, windows.size()));
            }
        }
    }

    /** Documents as ingest reads raw text: runs of non-blank lines, joined by a line break. */
    static List<String> documents(Path file) throws Exception {
        List<String> docs = new ArrayList<>();
        StringBuilder doc = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) {
                    if (doc.length() > 0) {
                        docs.add(doc.toString());
                        doc.setLength(0);
                    }
                    continue;
                }
                doc.append(doc.length() > 0 ? "\n" : "").append(line);
            }
        }
        if (doc.length() > 0) {
            docs.add(doc.toString());
        }
        return docs;
    }

    static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
