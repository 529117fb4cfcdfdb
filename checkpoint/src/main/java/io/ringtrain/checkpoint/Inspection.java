package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import io.ringtrain.protocol.checkpoint.TensorEntry;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** A checkpoint's manifest rendered for people ({@link #toText()}) and for scripts ({@link #toJson()}). */
public record Inspection(String checkpoint, CheckpointManifest manifest) {

    public String toText() {
        CheckpointManifest m = manifest;
        StringBuilder out = new StringBuilder("checkpoint ").append(checkpoint).append('\n');
        line(out, "run", m.getRunId());
        line(out, "step", Long.toString(m.getStep()));
        line(out, "format", Integer.toString(m.getFormatVersion()));
        line(out, "created", Instant.ofEpochMilli(m.getCreatedAtUnixMs()).toString());
        line(out, "world size", Integer.toString(m.getWorldSize()));
        line(out, "state", String.format("%,d bytes (%.1f MiB)", m.getStateBytes(), m.getStateBytes() / 1048576.0));
        line(out, "epoch", Long.toString(m.getProgress().getEpoch()));
        line(out, "samples", Long.toString(m.getProgress().getSamplesConsumed()));
        line(out, "rng seeds", m.getProgress().getRngSeedsList().toString());
        line(out, "optimizer", m.getOptimizer().getName() + " " + new TreeMap<>(m.getOptimizer().getHyperParametersMap()));
        line(out, "run config", new TreeMap<>(m.getRunConfigMap()).toString());
        out.append("  tensors (").append(m.getTensorsCount()).append("):\n");
        for (TensorEntry t : m.getTensorsList()) {
            out.append(String.format("    %-32s %-8s %-20s offset %,d  length %,d%n", t.getSpec().getName(),
                    t.getSpec().getDtype().name().replace("DTYPE_", ""), t.getSpec().getShapeList(), t.getByteOffset(), t.getByteLength()));
        }
        out.append("  shards (").append(m.getShardsCount()).append("):\n");
        for (ShardEntry s : m.getShardsList()) {
            out.append(String.format("    rank %-4d %-22s [%d, %d)  %,d bytes  crc32c %s%n", s.getRank(), s.getObjectName(),
                    s.getByteOffset(), s.getByteOffset() + s.getByteLength(), s.getByteLength(), StateReader.hex(s.getCrc32C())));
        }
        return out.toString();
    }

    public String toJson() {
        CheckpointManifest m = manifest;
        StringBuilder out = new StringBuilder("{\n");
        field(out, "checkpoint", quote(checkpoint));
        field(out, "formatVersion", Integer.toString(m.getFormatVersion()));
        field(out, "runId", quote(m.getRunId()));
        field(out, "step", Long.toString(m.getStep()));
        field(out, "worldSize", Integer.toString(m.getWorldSize()));
        field(out, "stateBytes", Long.toString(m.getStateBytes()));
        field(out, "createdAt", quote(Instant.ofEpochMilli(m.getCreatedAtUnixMs()).toString()));
        field(out, "epoch", Long.toString(m.getProgress().getEpoch()));
        field(out, "samplesConsumed", Long.toString(m.getProgress().getSamplesConsumed()));
        field(out, "rngSeeds", m.getProgress().getRngSeedsList().toString());
        field(out, "optimizer", "{\"name\": " + quote(m.getOptimizer().getName()) + ", \"hyperParameters\": "
                + object(new TreeMap<>(m.getOptimizer().getHyperParametersMap()), false) + "}");
        field(out, "runConfig", object(new TreeMap<>(m.getRunConfigMap()), true));
        field(out, "tensors", m.getTensorsList().stream().map(t -> "\n    {\"name\": " + quote(t.getSpec().getName())
                + ", \"dtype\": " + quote(t.getSpec().getDtype().name().replace("DTYPE_", ""))
                + ", \"shape\": " + t.getSpec().getShapeList() + ", \"byteOffset\": " + t.getByteOffset()
                + ", \"byteLength\": " + t.getByteLength() + "}").collect(Collectors.joining(",", "[", "\n  ]")));
        out.append("  \"shards\": ").append(m.getShardsList().stream().map(s -> "\n    {\"rank\": " + s.getRank()
                + ", \"object\": " + quote(s.getObjectName()) + ", \"byteOffset\": " + s.getByteOffset()
                + ", \"byteLength\": " + s.getByteLength() + ", \"crc32c\": " + quote(StateReader.hex(s.getCrc32C())) + "}")
                .collect(Collectors.joining(",", "[", "\n  ]"))).append("\n}\n");
        return out.toString();
    }

    private static void line(StringBuilder out, String name, String value) {
        out.append(String.format("  %-11s %s%n", name, value));
    }

    private static void field(StringBuilder out, String name, String json) {
        out.append("  ").append(quote(name)).append(": ").append(json).append(",\n");
    }

    private static String object(Map<String, ?> map, boolean quoteValues) {
        return map.entrySet().stream()
                .map(e -> quote(e.getKey()) + ": " + (quoteValues ? quote(String.valueOf(e.getValue())) : number(e.getValue())))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    private static String number(Object value) {
        double d = ((Number) value).doubleValue();
        return Double.isFinite(d) ? Double.toString(d) : quote(Double.toString(d));
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }
}
