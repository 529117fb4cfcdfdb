package io.ringtrain.worker.cluster;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.ringtrain.protocol.control.EndRun;
import io.ringtrain.protocol.control.ProgressReport;
import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.RegistrationRejected;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.RingReady;
import io.ringtrain.protocol.control.RunSpec;
import io.ringtrain.protocol.control.ShardSaved;
import io.ringtrain.protocol.control.StartTraining;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.Welcome;
import io.ringtrain.protocol.control.WorkerFailed;
import io.ringtrain.protocol.control.WorkerFinished;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every protobuf message the control plane may send, by manifest (the message's full protobuf
 * name, e.g. {@code ringtrain.control.ToWorker}), so decoding is one map look-up. A message added
 * to control.proto must be added here and bound in reference.conf; a test checks both.
 */
final class ControlMessages {

    static final List<Message> ALL = List.of(
            ToWorker.getDefaultInstance(),
            ToCoordinator.getDefaultInstance(),
            RunSpec.getDefaultInstance(),
            Welcome.getDefaultInstance(),
            RingAssignment.getDefaultInstance(),
            StartTraining.getDefaultInstance(),
            RegistrationRejected.getDefaultInstance(),
            EndRun.getDefaultInstance(),
            RegisterWorker.getDefaultInstance(),
            RingReady.getDefaultInstance(),
            ProgressReport.getDefaultInstance(),
            ShardSaved.getDefaultInstance(),
            WorkerFinished.getDefaultInstance(),
            WorkerFailed.getDefaultInstance());

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
