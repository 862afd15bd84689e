package org.versatune.pipeline.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Rejects keys the defaults do not declare, naming the nearest declared key. */
final class StrictKeys {
    private StrictKeys() {
    }

    static void check(Config user, Config reference, String root) {
        if (!user.hasPath(root)) {
            for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
                throw new Settings.SettingsException("unknown config key '" + e.getKey() + "' ("
                        + e.getValue().origin().description() + "): every key lives under '" + root + ".'");
            }
            return;
        }
        List<String> declared = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
            declared.add(root + "." + e.getKey());
        }
        for (Map.Entry<String, ConfigValue> e : user.getConfig(root).entrySet()) {
            String path = e.getKey();
            if (!declaredOrOpen(reference, path)) {
                String full = root + "." + path;
                throw new Settings.SettingsException("unknown config key '" + full + "' ("
                        + e.getValue().origin().description() + "); did you mean '" + nearest(full, declared) + "'?");
            }
        }
        for (Map.Entry<String, ConfigValue> e : user.root().entrySet()) {
            if (!e.getKey().equals(root)) {
                throw new Settings.SettingsException("unknown config key '" + e.getKey() + "' ("
                        + e.getValue().origin().description() + "): every key lives under '" + root + ".'");
            }
        }
    }

    /** Declared, or below a declared empty object (an open map such as per-domain values). */
    private static boolean declaredOrOpen(Config reference, String path) {
        if (reference.hasPathOrNull(path)) {
            return true;
        }
        List<String> parts = ConfigUtil.splitPath(path);
        for (int i = parts.size() - 1; i > 0; i--) {
            String prefix = ConfigUtil.joinPath(parts.subList(0, i));
            if (reference.hasPathOrNull(prefix)) {
                ConfigValue v = reference.getValue(prefix);
                return v.valueType() == ConfigValueType.OBJECT && ((ConfigObject) v).isEmpty();
            }
        }
        return false;
    }

    static void checkTypes(Config merged, Config reference) {
        try {
            merged.checkValid(reference);
        } catch (ConfigException.ValidationFailed e) {
            StringBuilder sb = new StringBuilder("invalid configuration:");
            e.problems().forEach(p -> sb.append("\n  ").append(p.path()).append(": ").append(p.problem())
                    .append(" (").append(p.origin().description()).append(')'));
            throw new Settings.SettingsException(sb.toString());
        }
        // checkValid lets any string stand for a number or boolean; insist that it converts
        for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
            String path = e.getKey();
            try {
                switch (e.getValue().valueType()) {
                    case NUMBER -> merged.getNumber(path);
                    case BOOLEAN -> merged.getBoolean(path);
                    default -> { }
                }
            } catch (ConfigException ex) {
                ConfigValue v = merged.getValue(path);
                throw new Settings.SettingsException("config key '" + path + "' must be a "
                        + e.getValue().valueType().name().toLowerCase(Locale.ROOT) + ", got " + v.render()
                        + " (" + v.origin().description() + ")");
            }
        }
    }

    static String nearest(String key, List<String> candidates) {
        String best = candidates.isEmpty() ? "" : candidates.get(0);
        int bestDist = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = levenshtein(key, c);
            if (d < bestDist) {
                bestDist = d;
                best = c;
            }
        }
        return best;
    }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
