package org.versatune.pipeline.domain;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The ordered, configured list of domain names. Artifacts key domains by name; the order is for display and ties. */
public final class Domains implements Serializable {
    /** Label for records the classifier is not confident about. Never a configured domain. */
    public static final String UNLABELED = "unlabeled";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]*");

    private final List<String> names;
    private final Map<String, Integer> index;

    private Domains(List<String> names) {
        this.names = List.copyOf(names);
        Map<String, Integer> idx = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            idx.put(names.get(i), i);
        }
        this.index = Collections.unmodifiableMap(idx);
    }

    public static Domains of(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("the domain list is empty");
        }
        List<String> seen = new ArrayList<>();
        for (String n : names) {
            if (!NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("invalid domain name '" + n + "': use lower-case letters, digits, '-' or '_'");
            }
            if (n.equals(UNLABELED)) {
                throw new IllegalArgumentException("'" + UNLABELED + "' is reserved for low-confidence records");
            }
            if (seen.contains(n)) {
                throw new IllegalArgumentException("domain '" + n + "' is listed twice");
            }
            seen.add(n);
        }
        return new Domains(names);
    }

    public static Domains of(String... names) {
        return of(List.of(names));
    }

    public List<String> names() {
        return names;
    }

    public int size() {
        return names.size();
    }

    public String name(int i) {
        return names.get(i);
    }

    public boolean contains(String name) {
        return index.containsKey(name);
    }

    /** Position of a domain; throws naming the known domains when it is not configured. */
    public int indexOf(String name) {
        Integer i = index.get(name);
        if (i == null) {
            throw new IllegalArgumentException("unknown domain '" + name + "'; configured domains: " + names);
        }
        return i;
    }

    /** Values keyed by name, in configured order. */
    public Map<String, Double> toMap(double[] values) {
        if (values.length != names.size()) {
            throw new IllegalArgumentException("expected " + names.size() + " values, got " + values.length);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put(names.get(i), values[i]);
        }
        return m;
    }

    /** Values in configured order from a map keyed by name; every domain must be present, no others. */
    public double[] fromMap(Map<String, ? extends Number> values, String what) {
        for (String k : values.keySet()) {
            if (!index.containsKey(k)) {
                throw new IllegalArgumentException(what + ": unknown domain '" + k + "'; configured domains: " + names);
            }
        }
        double[] out = new double[names.size()];
        for (int i = 0; i < out.length; i++) {
            Number v = values.get(names.get(i));
            if (v == null) {
                throw new IllegalArgumentException(what + ": missing domain '" + names.get(i) + "'");
            }
            out[i] = v.doubleValue();
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Domains d && d.names.equals(names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    @Override
    public String toString() {
        return String.join(",", names);
    }
}
