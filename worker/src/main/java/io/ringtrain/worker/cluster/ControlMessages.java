package io.ringtrain.worker.cluster;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every protobuf message the control plane sends as an actor message, by manifest (the message's
 * full protobuf name, e.g. {@code ringtrain.control.ToWorker}), so decoding is one map look-up.
 * Only the two envelopes travel: a typed actor accepts one message type, and each envelope's
 * {@code oneof} carries every message of its direction. Both are bound in reference.conf; a test
 * checks that every case of both round-trips.
 */
final class ControlMessages {

    static final List<Message> ALL = List.of(ToWorker.getDefaultInstance(), ToCoordinator.getDefaultInstance());

    private ControlMessages() {
    }

    static Map<String, Parser<? extends Message>> parsersByManifest() {
        Map<String, Parser<? extends Message>> parsers = new LinkedHashMap<>();
        for (Message m : ALL) {
            parsers.put(manifest(m), m.getParserForType());
        }
        return Map.copyOf(parsers);
    }

    static String manifest(Message message) {
        return message.getDescriptorForType().getFullName();
    }
}
