package io.ringtrain.allreduce;

import io.aeron.driver.ThreadingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Values of settings read from text (system properties, a HOCON block): each error names the key and the form. */
final class Settings {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([a-z]*)");

    private Settings() {
    }

    /** Bytes: a number, or a size such as {@code 4MiB}, {@code 4M}, {@code 64K}; -1 is accepted (an "auto" value). */
    static int bytes(String key, Object value) {
        String text = String.valueOf(value).trim();
        try {
            long bytes = value instanceof Number n ? n.longValue() : text.equals("-1") ? -1 : Sizes.parse(text);
            return Math.toIntExact(bytes);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new DataPlaneException(key + " = " + text + " is not a size: write bytes or e.g. 4MiB, 64K (at most 2 GiB)");
        }
    }

    static int integer(String key, Object value) {
        String text = String.valueOf(value).trim();
        try {
            return value instanceof Number n ? Math.toIntExact(n.longValue()) : Integer.parseInt(text);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new DataPlaneException(key + " = " + text + " is not a whole number");
        }
    }

    static boolean bool(String key, Object value) {
        String text = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        return switch (text) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw new DataPlaneException(key + " = " + value + " is not a boolean: write true or false");
        };
    }

    /** A duration: milliseconds as a number, or {@code 10s}, {@code 500ms}, {@code 2 seconds}, {@code 1m}. */
    static Duration duration(String key, Object value) {
        if (value instanceof Number n) {
            return Duration.ofMillis(n.longValue());
        }
        String text = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(text);
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                switch (m.group(2)) {
                    case "", "ms", "milli", "millis", "millisecond", "milliseconds":
                        return Duration.ofMillis(n);
                    case "us", "micro", "micros", "microsecond", "microseconds":
                        return Duration.ofNanos(Math.multiplyExact(n, 1000));
                    case "ns", "nano", "nanos", "nanosecond", "nanoseconds":
                        return Duration.ofNanos(n);
                    case "s", "second", "seconds":
                        return Duration.ofSeconds(n);
                    case "m", "minute", "minutes":
                        return Duration.ofMinutes(n);
                    default:
                        break;
                }
            } catch (NumberFormatException | ArithmeticException e) {
                // Found by SettingsFuzzTest: more digits than a long holds escaped as a NumberFormatException.
                throw new DataPlaneException(key + " = " + value + " is far too long: write e.g. 10s, 500ms or 2 seconds");
            }
        }
        throw new DataPlaneException(key + " = " + value + " is not a duration: write e.g. 10s, 500ms or 2 seconds");
    }

    static ThreadingMode threading(String key, Object value) {
        String text = String.valueOf(value).trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (ThreadingMode mode : ThreadingMode.values()) {
            if (mode.name().equals(text)) {
                return mode;
            }
        }
        throw new DataPlaneException(key + " = " + value + " is unknown: use INVOKER (the driver runs on the data-plane"
                + " thread), SHARED, SHARED_NETWORK or DEDICATED");
    }
}
