package org.versatune.pipeline.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueFactory;
import org.versatune.pipeline.domain.Domains;

import java.io.Serializable;
import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * The resolved configuration of a run: the defaults shipped in the jar ({@code reference.conf}),
 * then {@code --conf} files in order, then {@code --set key=value} overrides. Binding is strict: a key
 * the defaults do not declare is an error naming the nearest valid key.
 */
public final class Settings implements Serializable {
    public static final String ROOT = "versatune";

    private final String rendered;          // Config itself is not serializable; keep its text
    private transient Config config;

    private Settings(Config config) {
        this.config = config;
        this.rendered = config.root().render(ConfigRenderOptions.concise());
    }

    /** Defaults only. */
    public static Settings defaults() {
        return load(List.of(), List.of());
    }

    /**
     * @param confFiles HOCON files (local paths) applied in order
     * @param sets      {@code key=value} overrides; keys may omit the leading {@code versatune.}
     */
    public static Settings load(List<String> confFiles, List<String> sets) {
        Config reference = ConfigFactory.parseResources(Settings.class.getClassLoader(), "reference.conf",
                ConfigParseOptions.defaults().setAllowMissing(false));
        Config user = ConfigFactory.empty();
        for (String file : confFiles) {
            File f = locate(file);
            if (f == null) {
                throw new SettingsException("config file not found: " + file);
            }
            user = ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false)).withFallback(user);
        }
        for (String set : sets) {
            user = parseSet(set).withFallback(user);
        }
        user = user.resolve(ConfigResolveOptions.defaults().setAllowUnresolved(false));
        StrictKeys.check(user, reference.getConfig(ROOT), ROOT);
        Config merged = user.withFallback(reference).resolve();
        StrictKeys.checkTypes(merged, reference);
        return new Settings(merged);
    }

    /**
     * A config file by path, or one shipped with spark-submit --files and named by its bare name: in the working
     * directory (cluster deploy mode) or at its original path listed in spark.files (client mode).
     */
    static File locate(String file) {
        File f = new File(file);
        if (f.isFile()) {
            return f;
        }
        String shipped = System.getProperty("spark.files");
        if (shipped != null && !file.contains("/")) {
            for (String entry : shipped.split(",")) {
                String path = entry.trim().replaceFirst("^file:", "");
                File candidate = new File(path);
                if (candidate.getName().equals(file) && candidate.isFile()) {
                    return candidate;
                }
            }
        }
        return null;
    }

    static Config parseSet(String set) {
        int eq = set.indexOf('=');
        if (eq <= 0) {
            throw new SettingsException("--set expects key=value, got: " + set);
        }
        String key = set.substring(0, eq).trim();
        String value = set.substring(eq + 1).trim();
        if (!key.startsWith(ROOT + ".")) {
            key = ROOT + "." + key;
        }
        try {
            return ConfigFactory.parseString(key + " = " + value,
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setOriginDescription("--set " + set));
        } catch (ConfigException e) {
            // a bare string with characters HOCON reserves: take it literally
            return ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value, "--set " + set));
        }
    }

    /** The settings a run saved (its config.json), checked like any other. */
    public static Settings saved(String json, String where) {
        Config reference = ConfigFactory.parseResources(Settings.class.getClassLoader(), "reference.conf");
        Config c;
        try {
            c = ConfigFactory.parseString(json, ConfigParseOptions.defaults().setOriginDescription(where)).withFallback(reference).resolve();
        } catch (ConfigException e) {
            throw new SettingsException("cannot read the saved settings " + where + ": " + e.getMessage());
        }
        StrictKeys.check(c, reference.getConfig(ROOT), ROOT);
        StrictKeys.checkTypes(c, reference);
        return new Settings(c);
    }

    /** Returns a copy with one more {@code key=value} override (checked like the others). */
    public Settings with(String key, Object value) {
        Config reference = ConfigFactory.parseResources(Settings.class.getClassLoader(), "reference.conf");
        String full = key.startsWith(ROOT + ".") ? key : ROOT + "." + key;
        Config c = config().withValue(full, ConfigValueFactory.fromAnyRef(value, "override"));
        StrictKeys.check(c, reference.getConfig(ROOT), ROOT);
        StrictKeys.checkTypes(c, reference);
        return new Settings(c);
    }

    public Config config() {
        if (config == null) {
            config = ConfigFactory.parseString(rendered);
        }
        return config;
    }

    /** The {@code versatune} subtree. */
    public Config root() {
        return config().getConfig(ROOT);
    }

    public Config section(String name) {
        return root().getConfig(name);
    }

    public Domains domains() {
        return Domains.of(root().getStringList("domains"));
    }

    public long seed() {
        return root().getLong("run.seed");
    }

    /** The resolved configuration as HOCON-compatible JSON, saved in every run's output folder. */
    public String renderJson() {
        return config().getConfig(ROOT).atPath(ROOT).root()
                .render(ConfigRenderOptions.defaults().setOriginComments(false).setComments(false).setJson(true));
    }

    public static final class SettingsException extends IllegalArgumentException {
        public SettingsException(String message) {
            super(message);
        }
    }

    /** All leaf keys of the defaults, for error messages and docs. */
    public static List<String> declaredKeys() {
        Config reference = ConfigFactory.parseResources(Settings.class.getClassLoader(), "reference.conf");
        List<String> keys = new ArrayList<>();
        reference.entrySet().forEach(e -> keys.add(e.getKey()));
        keys.sort(String::compareTo);
        return keys;
    }
}
