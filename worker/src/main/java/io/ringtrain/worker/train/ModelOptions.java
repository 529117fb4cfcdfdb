package io.ringtrain.worker.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A run's {@code -O key=value} options, as the model, the optimizer ({@code optim.*}) and the worker session read
 * them: typed, range-checked, each error naming the option and what it accepts. It remembers which keys were read,
 * so that an option nobody reads (a typo such as {@code -O hiden=8}) fails the run instead of silently training
 * another model than the one asked for ({@link #requireAllRead(String)}).
 */
public final class ModelOptions {
    private final Map<String, String> values;
    private final Set<String> read = ConcurrentHashMap.newKeySet();

    private ModelOptions(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public static ModelOptions of(Map<String, String> values) {
        return new ModelOptions(values);
    }

    public static ModelOptions none() {
        return new ModelOptions(Map.of());
    }

    /** Every option as given. */
    public Map<String, String> asMap() {
        return values;
    }

    public boolean has(String key) {
        read.add(key);
        return values.containsKey(key);
    }

    /** The option as text, or {@code otherwise} when it is not given. */
    public String text(String key, String otherwise) {
        String text = raw(key);
        return text == null ? otherwise : text;
    }

    public int integer(String key, int otherwise, int min, int max) {
        return Math.toIntExact(whole(key, otherwise, min, max));
    }

    public long whole(String key, long otherwise, long min, long max) {
        String text = raw(key);
        if (text == null) {
            return otherwise;
        }
        return checkWhole(key, text, min, max);
    }

    public double decimal(String key, double otherwise, double min, double max) {
        String text = raw(key);
        if (text == null) {
            return otherwise;
        }
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + "=" + text + " is not a number (" + min + " to " + max + ")");
        }
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException("option " + key + "=" + text + " is out of range: use " + min + " to " + max);
        }
        return value;
    }

    public boolean flag(String key, boolean otherwise) {
        String text = raw(key);
        if (text == null) {
            return otherwise;
        }
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("option " + key + "=" + text + " is not true or false");
        };
    }

    /** A comma-separated list of whole numbers, e.g. {@code -O hidden=128,64}. */
    public List<Integer> integers(String key, List<Integer> otherwise, int min, int max) {
        String text = raw(key);
        if (text == null) {
            return List.copyOf(otherwise);
        }
        List<Integer> out = new ArrayList<>();
        for (String part : text.split(",")) {
            out.add(Math.toIntExact(checkWhole(key, part.trim(), min, max)));
        }
        return List.copyOf(out);
    }

    /**
     * Fails naming every option that was given but never read, and the options that were read: call it once the
     * model, the optimizer and the session have read theirs.
     *
     * @param readers who read options, for the message (e.g. {@code "model mlp, optimizer adam and the worker"})
     */
    public void requireAllRead(String readers) {
        Set<String> unread = new TreeSet<>(values.keySet());
        unread.removeAll(read);
        if (!unread.isEmpty()) {
            Map<String, String> given = new TreeMap<>(values);
            given.keySet().retainAll(unread);
            throw new IllegalArgumentException("-O " + given + ": not an option of " + readers + "; check the spelling."
                    + " The options they read: " + new TreeSet<>(read));
        }
    }

    private String raw(String key) {
        read.add(key);
        String text = values.get(key);
        return text == null ? null : text.trim();
    }

    private static long checkWhole(String key, String text, long min, long max) {
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + "=" + text + " is not a whole number (" + min + " to " + max + ")");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("option " + key + "=" + text + " is out of range: use " + min + " to " + max);
        }
        return value;
    }

    @Override
    public String toString() {
        return new TreeMap<>(values).toString();
    }
}
