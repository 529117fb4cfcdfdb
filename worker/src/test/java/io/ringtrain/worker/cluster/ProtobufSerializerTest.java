package io.ringtrain.worker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.checkpoint.TensorEntry;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Message;
import io.ringtrain.protocol.control.Control;
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
import java.io.NotSerializableException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProtobufSerializerTest {

    private static ActorSystem<Void> system;
    private static Serialization serialization;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "serializer-test");
        serialization = SerializationExtension.get(system.classicSystem());
    }

    @AfterAll
    static void stopSystem() {
        system.terminate();
    }

    private static final RunSpec SPEC = RunSpec.newBuilder()
            .setRunId("r1").setModel("mlp").setSeed(7).setGlobalBatch(256).setTotalSteps(300).setOptimizer("adam")
            .setLearningRate(0.01).setCheckpointUri("s3://bucket/prefix").setS3Endpoint("http://127.0.0.1:9000")
            .setCheckpointEvery(50).setProgressIntervalMs(2000).setExportParamsPath("final.npy").putOptions("hidden", "128")
            .build();
    private static final Welcome WELCOME = Welcome.newBuilder().setCoordinator("pekko://ringtrain@10.0.0.1:2551/user/x#1").setSpec(SPEC).build();
    private static final RingAssignment RING = RingAssignment.newBuilder().setGeneration(3).setRank(1).setWorldSize(2)
            .addEndpoints("10.0.0.2:40001").addEndpoints("10.0.0.3:40001").addWorkerIds("w-0").addWorkerIds("w-1").build();
    private static final StartTraining START = StartTraining.newBuilder().setGeneration(3).setStartStep(100).setRestore(true).build();
    private static final RegistrationRejected REJECTED = RegistrationRejected.newBuilder().setReason("ring is full").build();
    private static final EndRun END = EndRun.newBuilder().setSuccess(false).setReason("worker w-1 left").build();
    private static final RegisterWorker REGISTER = RegisterWorker.newBuilder().setWorker("pekko://ringtrain@10.0.0.2:2552/user/w#5")
            .setWorkerId("ringtrain-worker-3").setOrdinal(3).setDataPlaneEndpoint("10.0.0.2:40001").build();
    private static final RingReady READY = RingReady.newBuilder().setGeneration(3).setRank(1).build();
    private static final ProgressReport PROGRESS = ProgressReport.newBuilder().setGeneration(3).setRank(1).setStepsDone(120)
            .setLoss(0.25).setSamplesPerSecond(1234.5).build();
    private static final ShardSaved SHARD = ShardSaved.newBuilder().setGeneration(3)
            .setReport(ShardReport.newBuilder().setRunId("r1").setStep(150).setRank(1).setWorldSize(2).setStateBytes(2 << 20)
                    .setByteOffset(1 << 20).setByteLength(1 << 20).setCrc32C(0xdeadbeef).setObjectName("shard-1-of-2.bin"))
            .setDraft(CheckpointManifest.newBuilder().setRunId("r1").setStep(150).setWorldSize(2)
                    .addTensors(TensorEntry.newBuilder().setSpec(TensorSpec.newBuilder().setName("w").setDtype(Dtype.DTYPE_FLOAT32)
                            .addShape(512).addShape(1024)).setByteLength(2 << 20)))
            .build();
    private static final WorkerFinished FINISHED = WorkerFinished.newBuilder().setGeneration(3).setRank(1).setStepsDone(300)
            .setFinalLoss(0.1).setHeldOutAccuracy(0.93).setSamplesPerSecond(999).putMetrics("step.compute.ms", 3.5).build();
    private static final WorkerFailed FAILED = WorkerFailed.newBuilder().setGeneration(3).setRank(-1).setWorkerId("w-1")
            .setReason("data plane timed out").build();

    private static final List<Message> SAMPLES = List.of(
            SPEC, WELCOME, RING, START, REJECTED, END, REGISTER, READY, PROGRESS, SHARD, FINISHED, FAILED,
            ToWorker.newBuilder().setWelcome(WELCOME).build(),
            ToWorker.newBuilder().setRing(RING).build(),
            ToWorker.newBuilder().setStart(START).build(),
            ToWorker.newBuilder().setRejected(REJECTED).build(),
            ToWorker.newBuilder().setEnd(END).build(),
            ToCoordinator.newBuilder().setRegister(REGISTER).build(),
            ToCoordinator.newBuilder().setRingReady(READY).build(),
            ToCoordinator.newBuilder().setProgress(PROGRESS).build(),
            ToCoordinator.newBuilder().setShardSaved(SHARD).build(),
            ToCoordinator.newBuilder().setFinished(FINISHED).build(),
            ToCoordinator.newBuilder().setFailed(FAILED).build());

    @Test
    void everyControlMessageRoundTripsThroughTheBoundSerializer() {
        for (Message sample : SAMPLES) {
            Serializer serializer = serialization.findSerializerFor(sample);
            assertInstanceOf(ProtobufSerializer.class, serializer, "serializer bound to " + sample.getClass().getName());
            String manifest = Serializers.manifestFor(serializer, sample);
            assertEquals(sample.getDescriptorForType().getFullName(), manifest);

            byte[] bytes = serialization.serialize(sample).get();
            Object decoded = serialization.deserialize(bytes, ProtobufSerializer.IDENTIFIER, manifest).get();

            assertEquals(sample, decoded, "round trip of " + manifest);
        }
    }

    @Test
    void samplesCoverEveryMessageDeclaredInControlProto() {
        Set<String> declared = Control.getDescriptor().getMessageTypes().stream()
                .map(Descriptor::getFullName).collect(Collectors.toSet());
        Set<String> sampled = SAMPLES.stream().map(m -> m.getDescriptorForType().getFullName()).collect(Collectors.toSet());
        Set<String> registered = ControlMessages.ALL.stream().map(ControlMessages::manifest).collect(Collectors.toSet());

        assertEquals(declared, sampled, "every message in control.proto needs a round-trip sample");
        assertEquals(declared, registered, "every message in control.proto must be listed in ControlMessages");
    }

    @Test
    void unknownManifestFailsNamingTheManifest() {
        ProtobufSerializer serializer = (ProtobufSerializer) serialization.findSerializerFor(READY);

        NotSerializableException e = assertThrows(NotSerializableException.class,
                () -> serializer.fromBinary(READY.toByteArray(), "ringtrain.control.FromTheFuture"));

        assertTrue(e.getMessage().contains("ringtrain.control.FromTheFuture"), e.getMessage());
        assertTrue(e.getMessage().contains("same version"), e.getMessage());
    }

    @Test
    void corruptBytesFailClearly() {
        ProtobufSerializer serializer = (ProtobufSerializer) serialization.findSerializerFor(READY);

        NotSerializableException e = assertThrows(NotSerializableException.class,
                () -> serializer.fromBinary(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, "ringtrain.control.RingReady"));

        assertTrue(e.getMessage().contains("corrupt ringtrain control message 'ringtrain.control.RingReady'"), e.getMessage());
    }

    @Test
    void javaSerializationIsOff() {
        assertEquals("off", system.settings().config().getString("pekko.actor.allow-java-serialization"));
        assertThrows(Exception.class, () -> serialization.serialize(new java.util.ArrayList<>(List.of("x"))).get());
    }
}
